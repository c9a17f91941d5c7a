// CI's lint of the published document: @redocly/cli with the recommended rules (redocly.yaml says
// which are changed and why) must report no error and no warning. Same check as
// `npm run lint:openapi`, on the document of the app the tests build.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { buildTestApp } from '../helpers/app.js';

const run = promisify(execFile);
const redoclyCli = createRequire(import.meta.url).resolve('@redocly/cli/bin/cli.js');
const config = fileURLToPath(new URL('../../redocly.yaml', import.meta.url));

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }>;
}

let app: App;
let dir: string;
beforeAll(async () => {
  app = await buildTestApp();
  dir = await mkdtemp(join(tmpdir(), 'openapi-lint-'));
});
afterAll(async () => {
  await app.close();
  await rm(dir, { recursive: true, force: true });
});

async function lint(document: unknown): Promise<LintReport> {
  const file = join(dir, 'openapi.json');
  await writeFile(file, JSON.stringify(document, null, 2));
  // Exit code 1 means "problems found": the JSON report on stdout says which.
  const result = await run(process.execPath, [redoclyCli, 'lint', file, '--config', config, '--format=json'], {
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  return JSON.parse(result.stdout) as LintReport;
}

describe('Redocly lint of the OpenAPI document', () => {
  it('reports no error and no warning', async () => {
    const report = await lint(app.swagger());
    const found = report.problems.map(
      (problem) => `${problem.severity} ${problem.ruleId} ${problem.location[0]?.pointer}: ${problem.message}`,
    );
    expect(found).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 60_000);

  it('does find problems: an operation without operationId or security fails it', async () => {
    const document = structuredClone(app.swagger()) as unknown as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    const operation = document.paths['/api/v1/info']?.get as Record<string, unknown>;
    delete operation.operationId;
    delete operation.security;
    const report = await lint(document);
    expect(report.problems.map((problem) => problem.ruleId).sort()).toEqual([
      'operation-operationId',
      'security-defined',
    ]);
    expect(report.totals.errors).toBeGreaterThan(0);
  }, 60_000);
});
