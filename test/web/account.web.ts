// The profile (name, password change), API keys (created, shown once, usable, deleted) and the
// admin page (users, roles, deactivation), which only admins reach.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkScreen,
  field,
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

describe('profile and API keys', () => {
  it('renames the user and changes the password (the current one is required)', async () => {
    const { page } = session;
    const user = await signUpUser();
    await openSignedIn(page, stack().apiA, '/profile', user);
    await expect.poll(() => field(page, 'Name').inputValue()).toBe(user.name);
    await checkScreen(page, 'profile');
    expect(await nav(page).getByRole('link', { name: 'Admin' }).count()).toBe(0);

    await field(page, 'Name').fill('Renamed Person');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByRole('status').filter({ hasText: 'Profile saved.' }).waitFor();
    await nav(page).getByText('Renamed Person').waitFor();

    await field(page, 'New password').fill('another long password');
    await page.getByRole('button', { name: 'Save profile' }).click();
    // Refused without the current password: said next to that field or in an alert.
    await field(page, 'Current password')
      .and(page.locator('[aria-invalid="true"]'))
      .or(page.getByRole('alert'))
      .first()
      .waitFor();
    expect(await page.getByRole('status').filter({ hasText: 'Profile saved.' }).count()).toBe(0);
    await field(page, 'Current password').fill(user.password);
    await page.getByRole('button', { name: 'Save profile' }).click();
    // Saved: the api then ends every session of the account, so this browser is signed out, told why.
    await page.getByRole('status').filter({ hasText: 'Your password was changed' }).waitFor();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    const login = await fetch(`${stack().apiA}/api/v1/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: user.email, password: 'another long password' }),
    });
    expect(login.status).toBe(200);
  });

  it('creates an API key, shows it once, and deletes it', async () => {
    const { page } = session;
    const name = `ci-${randomBytes(3).toString('hex')}`;
    // A user of its own: a password change (the test above) ends the sessions of that user.
    await openSignedIn(page, stack().apiA, '/profile', await signUpUser());
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await field(page, 'Key name').fill(name);
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByLabel('New API key').textContent())?.trim() ?? '';
    expect(key.length).toBeGreaterThan(20);
    await checkScreen(page, 'api-keys');
    const me = await fetch(`${stack().apiB}/api/v1/users/me`, { headers: { 'x-api-key': key } });
    expect(me.status).toBe(200);

    // Shown once: gone after a reload, the list keeps only its name.
    await page.reload();
    await page.getByRole('row').filter({ hasText: name }).waitFor();
    expect(await page.getByText(key).count()).toBe(0);

    await page.getByRole('button', { name: `Delete key ${name}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => page.getByRole('row').filter({ hasText: name }).count()).toBe(0);
    expect((await fetch(`${stack().apiB}/api/v1/users/me`, { headers: { 'x-api-key': key } })).status).toBe(401);
    await nav(page).getByRole('button', { name: 'Sign out' }).click();
  });
});

describe('admin', () => {
  it('is refused to a user and open to an admin, who manages the users', async () => {
    const { page } = session;
    const user = await signUpUser({ name: 'Plain User' });
    await openSignedIn(page, stack().apiA, '/admin', user);
    await page.getByRole('alert').filter({ hasText: 'administrators' }).waitFor();
    await nav(page).getByRole('button', { name: 'Sign out' }).click();

    const admin = await signUpUser({ admin: true, name: 'Ada Admin' });
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await signIn(page, admin);
    await nav(page).getByRole('link', { name: 'Admin' }).click();
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.goto(`${stack().apiA}/admin`);
    await page.getByRole('link', { name: 'Open the queue dashboard' }).waitFor();
    await checkScreen(page, 'admin');

    // The plain user: made inactive (they cannot sign in any more), then deleted.
    const active = page.getByRole('checkbox', { name: `${user.email} is active` });
    if ((await active.count()) === 0) return expect.fail(`${user.email} is not on the first page of users`);
    // A click, not uncheck(): the box is controlled by the server's answer, so it changes only
    // once the update is saved and the list refetched (uncheck() wants it changed at once).
    // force: Mantine draws its own box over the real input.
    await active.click({ force: true });
    await expect.poll(() => active.isChecked()).toBe(false);
    await expect
      .poll(async () => {
        const answer = await fetch(`${stack().apiA}/api/v1/auth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: user.email, password: user.password }),
        });
        return answer.status;
      })
      .not.toBe(200);
    await page.getByRole('button', { name: `Delete ${user.email}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => page.getByRole('row').filter({ hasText: user.email }).count()).toBe(0);
  });
});
