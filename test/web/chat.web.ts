// Chat between two people in two browser contexts, each connected to a DIFFERENT api instance:
// join notices with the member's name, messages both ways across instances (Redis pub/sub), and
// a reconnect after one instance restarts.
import { randomBytes } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkScreen,
  field,
  openBrowser,
  openSignedIn,
  screenshotOnFailure,
  signUpUser,
  stack,
  type Session,
} from './helpers.js';

let session: Session;
let contextB: BrowserContext;
let alice: Page;
let bob: Page;
const room = `room-${randomBytes(3).toString('hex')}`;
// The page's one log (named "Messages" by a title attribute).
const log = (page: Page) => page.getByRole('log');
const status = (page: Page) => page.getByRole('status').filter({ hasText: /Connect|Disconnected/ });

async function say(page: Page, text: string) {
  await field(page, 'Message').fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
  await expect.poll(() => field(page, 'Message').inputValue()).toBe('');
}

beforeAll(async () => {
  session = await openBrowser();
  alice = session.page;
  contextB = await session.browser.newContext({ viewport: { width: 1280, height: 800 } });
  bob = await contextB.newPage();
});
afterAll(() => session.browser.close());
screenshotOnFailure(() => [alice, bob]);

describe('chat across two api instances', () => {
  it('joins a room from the lobby; each sees the other join, by name', async () => {
    const [a, b] = await Promise.all([signUpUser({ name: 'Alice Example' }), signUpUser({ name: 'Bob Example' })]);
    await openSignedIn(alice, stack().apiA, '/chat', a);
    await checkScreen(alice, 'chat-lobby');
    await field(alice, 'Room').fill(room);
    await alice.getByRole('button', { name: 'Join' }).click();
    await expect.poll(() => new URL(alice.url()).pathname).toBe(`/chat/${room}`);
    await status(alice).filter({ hasText: 'Connected' }).waitFor();

    await openSignedIn(bob, stack().apiB, `/chat/${room}`, b);
    await status(bob).filter({ hasText: 'Connected' }).waitFor();
    await log(alice).getByText('Bob Example joined the room').waitFor();
  });

  it('carries messages both ways', async () => {
    await say(alice, 'Hello Bob, from instance A');
    await log(bob).getByText('Alice Example: Hello Bob, from instance A').waitFor();
    await say(bob, 'Hi Alice, from instance B');
    await log(alice).getByText('Alice Example: Hello Bob, from instance A').waitFor();
    await log(alice).getByText('Bob Example: Hi Alice, from instance B').waitFor();
    await checkScreen(alice, 'chat');
  });

  it('reconnects after the instance it was connected to restarts, and the conversation goes on', async () => {
    const joinsBefore = await log(alice).getByText('Bob Example joined the room').count();
    const restarted = fetch(`${stack().control}/restart/api-b`, { method: 'POST' });
    await status(bob)
      .filter({ hasText: /reconnecting/ })
      .waitFor({ timeout: 20_000 });
    expect((await restarted).status).toBe(200);
    await status(bob).filter({ hasText: 'Connected' }).waitFor({ timeout: 60_000 });
    // Bob is back: Alice sees him join again.
    await expect.poll(() => log(alice).getByText('Bob Example joined the room').count()).toBeGreaterThan(joinsBefore);

    await say(alice, 'Welcome back');
    await log(bob).getByText('Alice Example: Welcome back').waitFor();
    await say(bob, 'Still here');
    await log(alice).getByText('Bob Example: Still here').waitFor();
  }, 120_000);
});
