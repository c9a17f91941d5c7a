// Files: upload several at once, list, download (the same bytes), delete, and the messages for a
// file too large (413) and of a refused type (415).
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkScreen,
  openBrowser,
  openSignedIn,
  screenshotOnFailure,
  signUpUser,
  stack,
  type Session,
} from './helpers.js';

let session: Session;
let page: Page;
const id = randomBytes(3).toString('hex');
const upload = () => page.getByLabel('Upload files');
const rowOf = (name: string) => page.getByRole('row').filter({ hasText: name });

beforeAll(async () => {
  session = await openBrowser();
  page = session.page;
  await openSignedIn(page, stack().apiA, '/files', await signUpUser());
});
afterAll(() => session.browser.close());
screenshotOnFailure(() => [page]);

describe('files', () => {
  const notes = { name: `notes-${id}.txt`, mimeType: 'text/plain', buffer: Buffer.from(`hello from ${id}\n`) };
  const data = { name: `data-${id}.json`, mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ id })) };

  it('uploads several files at once and lists them', async () => {
    await page.getByRole('heading', { name: 'Files' }).waitFor();
    await checkScreen(page, 'files-empty');
    await upload().setInputFiles([notes, data]);
    await page.getByRole('status').filter({ hasText: notes.name }).waitFor();
    await rowOf(notes.name).waitFor();
    await rowOf(data.name).waitFor();
    await checkScreen(page, 'files');
  });

  it('downloads a file with the bytes that were uploaded', async () => {
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: `Download ${notes.name}` }).click();
    const saved = await download;
    expect(saved.suggestedFilename()).toBe(notes.name);
    expect(await readFile(await saved.path())).toEqual(notes.buffer);
  });

  it('says why a file too large (413) or of a refused type (415) was not uploaded', async () => {
    await upload().setInputFiles({
      name: `big-${id}.bin`,
      mimeType: 'application/octet-stream',
      buffer: Buffer.alloc(stack().maxUploadBytes + 1024, 1),
    });
    const refused = page.getByRole('alert').filter({ hasText: 'Upload refused' });
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/too large|larger|at most \d+ bytes|exceeds/i);
    await checkScreen(page, 'files-too-large');

    await upload().setInputFiles({ name: `song-${id}.mp3`, mimeType: 'audio/mpeg', buffer: Buffer.from('ID3') });
    await expect.poll(() => refused.textContent()).toMatch(/type|audio\/mpeg|not allowed|unsupported/i);
    await expect.poll(() => rowOf(`big-${id}`).count()).toBe(0);
    expect(await rowOf(`song-${id}`).count()).toBe(0);
  });

  it('deletes a file after confirmation', async () => {
    await page.getByRole('button', { name: `Delete ${data.name}` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => rowOf(data.name).count()).toBe(0);
    await rowOf(notes.name).waitFor();
  });
});
