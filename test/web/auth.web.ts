// Signing up, in and out, a forgotten password through the emailed link, the silent token
// refresh, and the screens a visitor meets without a session: 404 and "API unreachable".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkScreen,
  expectNoTokensInStorage,
  field,
  mailTo,
  nav,
  openBrowser,
  openSignedIn,
  screenshotOnFailure,
  signIn,
  signUpUser,
  stack,
  type Session,
} from './helpers.js';

let session: Session;

beforeAll(async () => {
  session = await openBrowser();
});
afterAll(() => session.browser.close());
screenshotOnFailure(() => [session.page]);

describe('signed out', () => {
  it('signs up through the form, then signs in and lands on the items', async () => {
    const { page } = session;
    await page.goto(`${stack().apiA}/sign-up`);
    // The form, not the "Loading the session" spinner that precedes it, is the screen to check.
    await page.getByRole('button', { name: 'Sign up' }).waitFor();
    await checkScreen(page, 'sign-up');
    const email = `signup-${Date.now()}@example.com`;
    await field(page, 'Name').fill('Ada Lovelace');
    await field(page, 'Email').fill(email);
    await field(page, 'Password').fill('x');
    await page.getByRole('button', { name: 'Sign up' }).click();
    // A too-short password is a field error, next to its field.
    await expect.poll(() => field(page, 'Password').getAttribute('aria-invalid')).toBe('true');

    await field(page, 'Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    await page.getByRole('link', { name: 'Sign in' }).click();
    await signIn(page, { email, password: 'correct horse battery', name: 'Ada Lovelace' });
    await expect.poll(() => new URL(page.url()).pathname).toBe('/items');
    await expect.poll(() => nav(page).getByText('Ada Lovelace').isVisible()).toBe(true);
    await page.context().clearCookies();
  });

  it('shows the sign-in form on any page and returns there after signing in; wrong passwords are refused', async () => {
    const { page } = session;
    const user = await signUpUser();
    await page.context().clearCookies();
    await page.goto(`${stack().apiA}/profile`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await checkScreen(page, 'sign-in');
    await field(page, 'Email').fill(user.email);
    await field(page, 'Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').first().waitFor();
    expect(new URL(page.url()).pathname).toBe('/profile');

    await signIn(page, user);
    expect(new URL(page.url()).pathname).toBe('/profile');
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    await expectNoTokensInStorage(page);

    // Still signed in after a reload (the refresh cookie), then signed out for good.
    await page.reload();
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    await nav(page).getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await expect.poll(() => page.getByRole('navigation').count()).toBe(0);
  });

  it('resets a forgotten password through the emailed link', async () => {
    const { page } = session;
    const user = await signUpUser();
    await page.context().clearCookies();
    await page.goto(`${stack().apiA}/sign-in`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor();
    await checkScreen(page, 'forgot-password');
    await field(page, 'Email').fill(user.email);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByRole('status').first().waitFor();

    const body = await mailTo(user.email, /reset-password\?token=/);
    const link = /https?:\/\/[^\s"<>]+\/reset-password\?token=[\w.~%-]+/.exec(body)?.[0];
    expect(link, body).toBeDefined();
    await page.goto(link!);
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await checkScreen(page, 'reset-password');
    await field(page, 'New password').fill('a brand new password');
    await page.getByRole('button', { name: 'Set the password' }).click();
    await page.getByRole('heading', { name: 'Password changed' }).waitFor();

    await page.getByRole('link', { name: 'Sign in' }).click();
    await signIn(page, { ...user, password: 'a brand new password' });
    await nav(page).getByRole('button', { name: 'Sign out' }).click();
  });

  it('shows its own 404 page for an unknown address', async () => {
    const { page } = session;
    const user = await signUpUser();
    await openSignedIn(page, stack().apiA, '/items', user);
    await page.goto(`${stack().apiA}/no/such/page`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await checkScreen(page, 'not-found');
    await page.getByRole('link', { name: 'Go to the items' }).click();
    await page.getByRole('heading', { name: 'Items' }).waitFor();
    await nav(page).getByRole('button', { name: 'Sign out' }).click();
  });

  it('links the api’s own docs from the footer (the component tests cover signed in)', async () => {
    const { page } = session;
    await page.context().clearCookies();
    await page.goto(`${stack().apiA}/sign-in`);
    const footer = page.getByRole('contentinfo', { name: 'Developer' });
    // Server pages, loaded from the api (not the app's 404 page for an unknown client route).
    await footer.getByRole('link', { name: 'API docs' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/docs'));
    await page.getByRole('button', { name: 'Authorize' }).waitFor();
    await page.goBack();
    await footer.getByRole('link', { name: 'API reference' }).click();
    // 'commit': the reference page may wait on web fonts before its load event; its title is enough.
    await page.waitForURL((url) => url.pathname.startsWith('/reference'), { waitUntil: 'commit' });
    await expect.poll(() => page.title()).toMatch(/API reference/);
  });

  it('says when the API cannot be reached, and recovers with "Try again"', async () => {
    const context = await session.browser.newContext();
    const page = await context.newPage();
    try {
      await page.route('**/api/**', (route) => route.abort('connectionrefused'));
      await page.goto(`${stack().apiA}/items`);
      await page.getByRole('heading', { name: 'Cannot reach the server' }).waitFor();
      await checkScreen(page, 'unreachable');
      await page.unroute('**/api/**');
      await page.getByRole('button', { name: 'Try again' }).click();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
    } finally {
      await context.close();
    }
  });
});

describe('a session outliving its access token', () => {
  it('refreshes silently: the user stays signed in and keeps working', async () => {
    const { page } = session;
    const user = await signUpUser();
    await openSignedIn(page, stack().apiShortTokens, '/items/new', user);
    const refreshed = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/refresh') && r.status() === 200, {
      timeout: (stack().accessTokenTtl + 20) * 1000,
    });
    // Past the access token's lifetime (ACCESS_TOKEN_TTL of the test stack).
    await page.waitForTimeout((stack().accessTokenTtl + 2) * 1000);
    await field(page, 'Name').fill('Made after the token expired');
    await field(page, 'Price').fill('3');
    await page.getByRole('button', { name: 'Save' }).click();
    await refreshed;
    await page.getByRole('row').filter({ hasText: 'Made after the token expired' }).waitFor();
    expect(await page.getByRole('button', { name: 'Sign in' }).count()).toBe(0);
    await expectNoTokensInStorage(page);
  }, 90_000);
});
