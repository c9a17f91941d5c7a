// Finding 18: each request body's documented example is valid. Every operation that takes a
// JSON or form body is sent its own example (as Swagger UI's "Try it out" would) and must not
// answer 422; path ids point at resources the test owns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { buildTestApp } from '../helpers/app.js';
import { createAdmin, createUser, type TestUser } from '../helpers/factories/users.js';

interface Operation {
  operationId: string;
  requestBody?: { content: Record<string, { example?: unknown }> };
}

let app: App;
let admin: TestUser;
let document: { paths: Record<string, Record<string, Operation>> };

beforeAll(async () => {
  app = await buildTestApp();
  admin = await createAdmin(app);
  document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
});
afterAll(() => app.close());

const bodies = () =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).flatMap(([method, operation]) =>
      Object.entries(operation.requestBody?.content ?? {}).map(([mediaType, media]) => ({
        path,
        method: method.toUpperCase(),
        operationId: operation.operationId,
        mediaType,
        example: media.example,
      })),
    ),
  );

function encode(mediaType: string, example: unknown): string {
  if (mediaType === 'application/x-www-form-urlencoded')
    return new URLSearchParams(example as Record<string, string>).toString();
  return JSON.stringify(example);
}

describe('documented request examples', () => {
  it('every JSON or form body has an example; only multipart (binary parts) has none', () => {
    const missing = bodies().filter((body) => body.example === undefined);
    expect(missing.map((body) => body.mediaType)).toEqual(missing.map(() => 'multipart/form-data'));
    expect(bodies().filter((body) => body.example !== undefined).length).toBeGreaterThan(10);
  });

  it('each example passes validation when sent (no 422, no 5xx)', async () => {
    const item = await app.inject({
      method: 'POST',
      url: '/api/v1/items',
      headers: admin.headers,
      payload: { name: 'target', price: 1 },
    });
    const user = await createUser(app);
    const ids: Record<string, string> = {
      '/api/v1/items/{id}': String(item.json<{ id: number }>().id),
      '/api/v1/users/{id}': String(user.id),
    };
    const answers: string[] = [];
    for (const body of bodies().filter((candidate) => candidate.example !== undefined)) {
      const url = body.path.replace('{id}', ids[body.path] ?? '1');
      const response = await app.inject({
        method: body.method as 'POST',
        url,
        headers: { ...admin.headers, 'content-type': body.mediaType },
        payload: encode(body.mediaType, body.example),
      });
      answers.push(
        `${body.operationId} ${body.mediaType} -> ${response.statusCode}${response.statusCode === 422 ? ` ${response.body}` : ''}`,
      );
    }
    expect(answers.filter((answer) => / -> (422|5\d\d)/.test(answer))).toEqual([]);
    expect(answers).toEqual(
      expect.arrayContaining([
        'createItem application/json -> 201',
        'replaceItem application/json -> 200',
        'updateItem application/json -> 200',
      ]),
    );
  });
});
