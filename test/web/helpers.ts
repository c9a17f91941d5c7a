// What the web app's end-to-end tests share: users made through the API, signing in through the
// form, the emails the worker sent, the axe check and the screenshots. Selectors are the
// accessible names of issue 15 (item 4): roles and labels, never CSS classes.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import pg from 'pg';
import { beforeEach, expect, inject, onTestFailed } from 'vitest';
import { launchChromium } from '../helpers/browser.js';

export const stack = () => inject('webStack');

/** Where CI keeps the screenshots (an artifact, gitignored). */
export const SCREENSHOT_DIR = path.resolve(process.env.SCREENSHOT_DIR ?? '.artifacts/screenshots');

export interface WebUser {
  email: string;
  password: string;
  name: string;
}

/** A new user, signed up through the api (sign-up answers 202 and never says more). */
export async function signUpUser(options: { name?: string; admin?: boolean } = {}): Promise<WebUser> {
  const id = randomBytes(5).toString('hex');
  const user = {
    email: `${options.admin ? 'admin' : 'user'}-${id}@example.com`,
    password: `pw-${randomBytes(8).toString('hex')}`,
    name: options.name ?? `User ${id}`,
  };
  const response = await fetch(`${stack().apiA}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(user),
  });
  expect(response.status).toBe(202);
  // No API makes an admin (on purpose): the database does, as an operator would.
  if (options.admin) await sql(`UPDATE users SET role = 'ADMIN' WHERE email = $1`, [user.email]);
  return user;
}

export async function sql(text: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: stack().databaseUrl });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

export interface Session {
  browser: Browser;
  context: BrowserContext;
  page: Page;
}

/** A browser with one context (a fresh profile: no cookies) at desktop width. */
export async function openBrowser(): Promise<Session> {
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  return { browser, context, page };
}

/**
 * The form field labelled exactly `name` (a required field's label ends with " *"): password
 * inputs have no ARIA role, so fields are found by their label.
 */
export const field = (page: Page, name: string) =>
  page.getByLabel(new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}( \\*)?$`));

/**
 * Fills the sign-in form on whatever page shows it, and waits for the signed-in navigation. A
 * 503 ("try again shortly": the credential limiter fails closed when Redis answers slower than
 * its budget, which a loaded CI machine can cause) is retried, as the message asks a person to.
 */
export async function signIn(page: Page, user: WebUser): Promise<void> {
  await field(page, 'Email').fill(user.email);
  await field(page, 'Password').fill(user.password);
  const signedIn = nav(page).getByRole('button', { name: 'Sign out' });
  const unavailable = page.getByRole('alert').filter({ hasText: 'Service Unavailable' });
  for (let attempt = 1; ; attempt += 1) {
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Locator waits, not expect.poll: this also runs in beforeAll hooks.
    await signedIn.or(unavailable).first().waitFor();
    if (await signedIn.isVisible()) return;
    if (attempt === 3) throw new Error('sign-in answered 503 three times');
    await page.waitForTimeout(1000 * attempt);
  }
}

export const nav = (page: Page) => page.getByRole('navigation').first();

/** Opens `path` on `base` signed in as `user` (the app shows the sign-in form, then returns there). */
export async function openSignedIn(page: Page, base: string, pathname: string, user: WebUser): Promise<void> {
  // Whoever was signed in before (the refresh cookie) is not: each test starts from the form.
  await page.context().clearCookies();
  await page.goto(`${base}${pathname}`);
  await signIn(page, user).catch(async (err: Error) => {
    // What the page showed instead, for the CI artifacts.
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, `failed-sign-in-${Date.now()}.png`) });
    throw err;
  });
  await page.waitForURL((url) => url.pathname === pathname.split('?')[0]);
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/**
 * axe-core run in the page (evaluated through the DevTools protocol, so the app's CSP does not
 * apply to it): no violation of serious or critical impact. Then a full-page screenshot.
 */
export async function checkScreen(page: Page, name: string): Promise<void> {
  await page.evaluate(axeSource);
  // A string, run in the page: this file is compiled without the DOM's types.
  const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((result) =>
    result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target) })))`)) as AxeViolation[];
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  // Soft: the test goes on (one run reports every screen's violations) and still fails.
  expect.soft(serious, `${name}: ${JSON.stringify(serious, null, 2)}`).toEqual([]);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

interface Mail {
  to: string[];
  data: string;
}

const decodeQuotedPrintable = (text: string) =>
  text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/** The newest email to `email` whose decoded text matches `pattern`; waits for the worker to send it. */
export async function mailTo(email: string, pattern: RegExp): Promise<string> {
  let found: string | undefined;
  let seen: string[] = [];
  await expect
    .poll(
      async () => {
        const mails = (await (await fetch(`${stack().control}/mail`)).json()) as Mail[];
        seen = mails.filter((m) => m.to.some((to) => to.includes(email))).map((m) => decodeQuotedPrintable(m.data));
        found = seen.findLast((text) => pattern.test(text));
        return found !== undefined;
      },
      { timeout: 20_000, interval: 250, message: `no email to ${email} matching ${pattern}` },
    )
    .toBe(true)
    .catch((err: Error) => {
      throw new Error(`${err.message}; emails to ${email}:\n${seen.join('\n---\n')}`);
    });
  return found!;
}

/** Tokens live in memory and an HttpOnly cookie only: nothing in either Web Storage. */
export async function expectNoTokensInStorage(page: Page): Promise<void> {
  const stored = (await page.evaluate(`[localStorage, sessionStorage].flatMap((storage) =>
    Array.from({ length: storage.length }, (_, i) => storage.key(i) + '=' + storage.getItem(storage.key(i))))`)) as string[];
  for (const entry of stored) expect(entry).not.toMatch(/eyJ[\w-]+\.[\w-]+|token/i);
}

/** For each failed test of the file, a screenshot of every page `pages()` returns (CI artifacts). */
export function screenshotOnFailure(pages: () => Page[]): void {
  beforeEach((context) => {
    onTestFailed(async () => {
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const name = context.task.name.replace(/\W+/g, '-').slice(0, 60);
      await Promise.all(
        pages().map((page, i) =>
          page.screenshot({ path: path.join(SCREENSHOT_DIR, `failed-${name}-${i}.png`) }).catch(() => undefined),
        ),
      );
    });
  });
}
