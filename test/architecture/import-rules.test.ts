// The import rules of .dependency-cruiser.cjs (run by `npm run lint`) do refuse what they are
// meant to: each fixture under fixtures/ is a tiny src/ tree that breaks one rule.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const depcruise = resolve(root, 'node_modules/.bin/depcruise');
const config = resolve(root, '.dependency-cruiser.cjs');

async function cruise(cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await promisify(execFile)(depcruise, ['src', '--config', config, '--output-type', 'err'], {
      cwd,
    });
    return { code: 0, output: stdout };
  } catch (err) {
    const failed = err as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

describe('import rules', { timeout: 60_000 }, () => {
  it('refuse an import up the layers (lib/ -> modules/)', async () => {
    const { code, output } = await cruise(resolve(import.meta.dirname, 'fixtures/upward-import'));
    expect(code).not.toBe(0);
    expect(output).toContain(
      'lib-imports-nothing-of-the-app: src/lib/format.ts → src/modules/widgets/widgets.service.ts',
    );
  });

  it('refuse a cycle between modules', async () => {
    const { code, output } = await cruise(resolve(import.meta.dirname, 'fixtures/cycle'));
    expect(code).not.toBe(0);
    expect(output).toContain('no-circular');
    expect(output).toContain('src/modules/a/a.service.ts');
  });

  it('pass on the real src/', async () => {
    const { code, output } = await cruise(root);
    expect(output).toContain('no dependency violations found');
    expect(code).toBe(0);
  });
});
