// Swagger UI in a real browser (Debian's Chromium, driven by playwright-core): log in through
// the OAuth2 password flow of the Authorize dialog, then "Try it out" on GET /api/v1/users/me.
// Chromium comes from apt (`apt-get install -y chromium`); playwright never downloads one.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { createUser } from '../helpers/factories/users.js';
import { startAppInBrowser, type BrowserFixture } from '../helpers/browser.js';

let app: App;
let browser: Browser;
let baseUrl: string;
let fixture: BrowserFixture | undefined;

beforeAll(async () => {
  fixture = await startAppInBrowser();
  ({ app, browser, baseUrl } = fixture);
}, 60_000);

afterAll(() => fixture?.close());

describe('Swagger UI at /docs', () => {
  it('authorizes with the password flow and runs "Try it out" on GET /api/v1/users/me', async () => {
    const user = await createUser(app);
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });

    await page.goto(`${baseUrl}/docs`);
    await page.locator('.swagger-ui button.authorize').first().click();

    // Both security schemes are offered: the OAuth2 password flow and the API key header.
    const dialog = page.locator('.modal-ux');
    await expect.poll(() => dialog.locator('.auth-container').count()).toBe(2);
    await expect.poll(() => dialog.textContent()).toMatch(/X-API-Key/);

    const oauth = dialog.locator('.auth-container', { hasText: 'OAuth2PasswordBearer' });
    await oauth.locator('#oauth_username').fill(user.email);
    await oauth.locator('#oauth_password').fill(user.password);
    await oauth.locator('button.authorize').click();
    // Once the token is obtained, the section offers "Logout" instead.
    await oauth.locator('button', { hasText: 'Logout' }).waitFor();
    await dialog.locator('button.btn-done').first().click();

    const operation = page.locator('.opblock-get', { has: page.locator('[data-path="/api/v1/users/me"]') }).first();
    await operation.locator('.opblock-summary').click();
    const tryItOut = operation.locator('button.try-out__btn');
    if ((await tryItOut.count()) > 0 && /try it out/i.test((await tryItOut.textContent()) ?? ''))
      await tryItOut.click();
    await operation.locator('button.execute').click();

    const row = operation.locator('.live-responses-table tbody tr.response').first();
    const status = row.locator('.response-col_status');
    await status.waitFor();
    expect((await status.textContent())?.trim()).toBe('200');
    const body = await row.locator('.response-col_description pre').first().textContent();
    expect(JSON.parse(body ?? '{}')).toMatchObject({ id: user.id, email: user.email });
    expect(pageErrors.filter((e) => /Content Security Policy|Refused/i.test(e))).toEqual([]);
    await page.close();
  }, 60_000);
});
