// Debian's Chromium driven by playwright-core: playwright never downloads a browser here
// (`apt-get install -y chromium`; CHROMIUM_PATH points elsewhere). launch() (not
// launchPersistentContext) gives each test file a fresh, throw-away profile.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import type { App } from '../../src/compose/api.js';
import { buildTestApp } from './app.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The real app listening on 127.0.0.1 (where Scalar shows its localhost-only extras) and a browser for it. */
export interface BrowserFixture {
  app: App;
  browser: Browser;
  baseUrl: string;
  close(): Promise<void>;
}

export async function startAppInBrowser(): Promise<BrowserFixture> {
  const app = await buildTestApp();
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  const browser = await launchChromium();
  return {
    app,
    browser,
    baseUrl,
    async close() {
      await browser.close();
      await app.close();
    },
  };
}
