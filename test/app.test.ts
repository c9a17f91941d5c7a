// buildApp as a factory: dependencies can be replaced, transactions roll back, and the app
// serves over a real socket as well as through inject.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/compose/api.js';
import type { DbClient } from '../src/db/unit-of-work.js';
import { ItemsRepository } from '../src/modules/items/items.repository.js';
import type { ItemImage } from '../src/modules/items/items.schemas.js';
import { buildTestApp } from './helpers/app.js';
import { createItem } from './helpers/factories/items.js';
import { createUser } from './helpers/factories/users.js';

/** Writes the images, then fails: the transaction must undo the item update too. */
class FailingImagesRepository extends ItemsRepository {
  override async replaceImages(itemId: number, images: ItemImage[]): Promise<void> {
    await super.replaceImages(itemId, images);
    throw new Error('disk full while writing images');
  }
}

describe('dependency overrides and the request-scoped transaction', () => {
  let app: App;
  beforeAll(async () => {
    app = await buildTestApp({
      overrides: { items: { makeRepository: (db: DbClient) => new FailingImagesRepository(db) } },
    });
  });
  afterAll(() => app.close());

  it('uses the replacement and rolls back every write of a failed PUT', async () => {
    const user = await createUser(app);
    const { id } = await createItem(app, user, {
      name: 'Original',
      price: 10,
      images: [{ url: 'https://img.example.com/o.png', name: 'orig' }],
    });

    const replaced = await app.inject({
      method: 'PUT',
      url: `/api/v1/items/${id}`,
      headers: user.headers,
      payload: { name: 'Changed', price: 20, images: [{ url: 'https://img.example.com/n.png', name: 'new' }] },
    });
    expect(replaced.statusCode).toBe(500);

    const after = (await app.inject({ method: 'GET', url: `/api/v1/items/${id}` })).json();
    expect(after).toMatchObject({
      name: 'Original',
      price: 10,
      images: [{ url: 'https://img.example.com/o.png', name: 'orig' }],
    });
  });
});

describe('over a real socket', () => {
  let app: App;
  let base: string;
  beforeAll(async () => {
    app = await buildTestApp();
    base = await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(() => app.close());

  it('registers, logs in with a form and reads the profile with fetch', async () => {
    const email = `socket-${Date.now()}@example.com`;
    const registered = await fetch(`${base}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'socket-password', name: 'Socket' }),
    });
    expect(registered.status).toBe(202);
    const token = await fetch(`${base}/api/v1/auth/token`, {
      method: 'POST',
      body: new URLSearchParams({ username: email, password: 'socket-password' }),
    });
    expect(token.status).toBe(200);
    const { access_token } = (await token.json()) as { access_token: string };
    const me = await fetch(`${base}/api/v1/users/me`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(me.status).toBe(200);
    expect(me.headers.get('x-request-id')).toBeTruthy();
    expect(((await me.json()) as { email: string }).email).toBe(email);
  });

  it('answers gzip to a real client that accepts it', async () => {
    const response = await fetch(`${base}/openapi.json`, { headers: { 'accept-encoding': 'gzip' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-encoding')).toBe('gzip');
    expect(((await response.json()) as { openapi: string }).openapi).toBe('3.1.0');
  });
});
