// bull-board at /admin/queues: only admins get in, with HTTP Basic (an admin account's email
// and password) or an admin bearer token; everyone else gets a 401 problem.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createUser, problemOf, type TestUser } from '../../helpers/app.js';

let app: App;
let admin: TestUser;
let user: TestUser;

const basic = (email: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}` });
const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

beforeAll(async () => {
  app = await buildTestApp();
  [admin, user] = await Promise.all([createUser(app, { role: 'ADMIN' }), createUser(app)]);
});
afterAll(() => app.close());

describe('GET /admin/queues', () => {
  it('asks for credentials with a 401 problem and a Basic challenge', async () => {
    const response = await get('/admin/queues');
    expect(response.statusCode).toBe(401);
    expect(response.headers['www-authenticate']).toBe('Basic realm="queues", charset="UTF-8"');
    expect(problemOf(response)).toMatchObject({ status: 401, instance: '/admin/queues' });
  });

  it('lets an admin in with HTTP Basic and serves the dashboard and its API', async () => {
    const page = await get('/admin/queues', basic(admin.email, admin.password));
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('/admin/queues');

    const api = await get('/admin/queues/api/queues', basic(admin.email, admin.password));
    expect(api.statusCode).toBe(200);
    const names = api.json<{ queues: { name: string }[] }>().queues.map((queue) => queue.name);
    expect(names).toEqual(expect.arrayContaining(['email', 'imports', 'reports']));
  });

  it('lets an admin in with a bearer token', async () => {
    expect((await get('/admin/queues/api/queues', admin.headers)).statusCode).toBe(200);
  });

  it('refuses a wrong password, an unknown email, a non-admin account and a non-admin token', async () => {
    for (const headers of [basic(admin.email, 'wrong-password'), basic('nobody@example.com', 'whatever'), basic(user.email, user.password), user.headers, { authorization: 'Basic !!!' }]) {
      const response = await get('/admin/queues/api/queues', headers);
      expect(response.statusCode).toBe(401);
      expect(problemOf(response).status).toBe(401);
    }
  });

  it('guards the static files of the sub-application too', async () => {
    const response = await get('/admin/queues/static/favicon-32x32.png');
    expect(response.statusCode).toBe(401);
  });
});
