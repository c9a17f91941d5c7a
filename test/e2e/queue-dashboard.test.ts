// The queue dashboard in a real browser (Debian's Chromium, driven by playwright-core): the
// browser logs in with HTTP Basic once and then polls with the session cookie, and the page's
// Google Fonts stylesheet and font files pass the dashboard's CSP (the API's own policy blocks
// them). There is no internet here: the two font hosts are answered by the test, which also
// proves the browser was allowed to ask them.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/compose/api.js';
import { DASHBOARD_COOKIE } from '../../src/modules/queue-dashboard/queue-dashboard.routes.js';
import { createAdmin } from '../helpers/factories/users.js';
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

describe('queue dashboard at /admin/queues', () => {
  it('renders for an admin with Basic, keeps a session cookie, and its fonts pass the CSP', async () => {
    const admin = await createAdmin(app);
    const context = await browser.newContext({ httpCredentials: { username: admin.email, password: admin.password } });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    // Runs in the page (a string: this file is compiled without the DOM types).
    await page.addInitScript(
      "document.addEventListener('securitypolicyviolation', (e) => console.error('Refused to load ' + e.blockedURI + ' (' + e.violatedDirective + ') Content Security Policy'))",
    );
    const fontHosts: string[] = [];
    await page.route(/^https:\/\/fonts\.(googleapis|gstatic)\.com\//, async (route) => {
      const url = new URL(route.request().url());
      fontHosts.push(url.host);
      if (url.host === 'fonts.googleapis.com') {
        await route.fulfill({
          contentType: 'text/css',
          body: "@font-face { font-family: 'IBM Plex Sans'; src: url(https://fonts.gstatic.com/s/plex.woff2) format('woff2'); }",
        });
      } else {
        await route.fulfill({ status: 404, body: '' });
      }
    });

    const response = await page.goto(`${baseUrl}/admin/queues`);
    expect(response?.status()).toBe(200);
    // The React app rendered the queues from the API (with the cookie by now).
    await page.getByText('imports', { exact: false }).first().waitFor({ timeout: 20_000 });
    // Let the fonts be asked for.
    await page.evaluate('document.fonts.ready.then(() => true)');

    expect(violations).toEqual([]);
    expect(fontHosts).toContain('fonts.googleapis.com');
    const cookie = (await context.cookies()).find((c) => c.name === DASHBOARD_COOKIE);
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/admin/queues' });
    await context.close();
  }, 60_000);
});
