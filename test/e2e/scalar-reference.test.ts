// The API reference at /reference in a real browser (Debian's Chromium, driven by playwright-core,
// as in swagger-ui.test.ts): every request stays on this server (no fonts.scalar.com, no
// CDN), and the vendor buttons Scalar shows on localhost (Ask AI, Generate MCP, Developer Tools
// with Deploy) are gone, while the reference itself renders.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppInBrowser, type BrowserFixture } from '../helpers/browser.js';

let browser: Browser;
let baseUrl: string;
let fixture: BrowserFixture | undefined;

beforeAll(async () => {
  fixture = await startAppInBrowser();
  ({ browser, baseUrl } = fixture);
}, 60_000);

afterAll(() => fixture?.close());

describe('Scalar at /reference', () => {
  it('loads nothing from another host and shows no vendor buttons', async () => {
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));

    await page.goto(`${baseUrl}/reference/`);
    // Rendered from this app's document: its title and an operation of it.
    await expect
      .poll(() => page.locator('body').innerText(), { timeout: 20_000 })
      .toMatch(/fastify-production-template[\s\S]*Create an account/);
    await page.waitForLoadState('networkidle');

    const text = await page.locator('body').innerText();
    for (const vendor of ['Ask AI', 'Generate MCP', 'Developer Tools', 'Deploy', 'Share'])
      expect(text).not.toContain(vendor);
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((url) => !url.startsWith(baseUrl) && !url.startsWith('data:'))).toEqual([]);
    await page.close();
  }, 60_000);
});
