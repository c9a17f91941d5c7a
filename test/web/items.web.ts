// Items: create (field errors first), list newest first, filters in the URL, edit, delete, the
// CSV export and the CSV import with its live progress, and the notifications it produces.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkScreen,
  field,
  nav,
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
const tag = `e2e-${id}`;
const lamp = `Lamp ${id}`;
const chair = `Chair ${id}`;

const rows = () => page.getByRole('row');
const rowOf = (name: string) => rows().filter({ hasText: name });
const query = () => new URL(page.url()).searchParams;

beforeAll(async () => {
  session = await openBrowser();
  page = session.page;
  await openSignedIn(page, stack().apiA, '/items', await signUpUser());
});
afterAll(() => session.browser.close());
screenshotOnFailure(() => [page]);

async function createItem(values: { name: string; price: string; tax?: string; tags?: string; description?: string }) {
  await page.getByRole('button', { name: 'New item' }).click();
  await page.getByRole('heading', { name: 'New item' }).waitFor();
  await field(page, 'Name').fill(values.name);
  await field(page, 'Description').fill(values.description ?? '');
  await field(page, 'Price').fill(values.price);
  await field(page, 'Tax').fill(values.tax ?? '');
  await field(page, 'Tags').fill(values.tags ?? '');
  await page.getByRole('button', { name: 'Save' }).click();
}

describe('items', () => {
  it('shows the api’s field errors next to the fields, then saves; the new item tops the list at once', async () => {
    await page.getByRole('heading', { name: 'Items' }).waitFor();
    await checkScreen(page, 'items-empty');

    await createItem({ name: lamp, price: '-1', tax: '', tags: 'not a tag!' });
    await expect.poll(() => field(page, 'Price').getAttribute('aria-invalid')).toBe('true');
    await expect.poll(() => field(page, 'Tags').getAttribute('aria-invalid')).toBe('true');
    expect(new URL(page.url()).pathname).toBe('/items/new');
    await checkScreen(page, 'item-form-errors');

    await field(page, 'Price').fill('12.50');
    await field(page, 'Tax').fill('1.25');
    await field(page, 'Tags').fill(`${tag}, light`);
    await page.getByRole('button', { name: 'Save' }).click();
    await rowOf(lamp).waitFor();
    expect(new URL(page.url()).pathname).toBe('/items');

    await createItem({ name: chair, price: '40', tags: tag, description: 'Oak, four legs' });
    await rowOf(chair).waitFor();
    // Newest first: the header row, then the chair, then the lamp.
    await expect.poll(() => rows().nth(1).textContent()).toContain(chair);
    expect(await rows().nth(2).textContent()).toContain(lamp);
    await checkScreen(page, 'items');
  });

  it('keeps the filters in the URL: typed in the form, or opened from a link', async () => {
    await page.getByRole('searchbox', { name: 'Search' }).or(page.getByLabel('Search')).first().fill(lamp);
    await page.keyboard.press('Enter');
    await expect.poll(() => query().get('q')).toBe(lamp);
    await expect.poll(() => rowOf(chair).count()).toBe(0);
    await rowOf(lamp).waitFor();

    await page.goto(`${stack().apiA}/items?tag=${tag}&minPrice=20`);
    await rowOf(chair).waitFor();
    await expect.poll(() => rowOf(lamp).count()).toBe(0);
    expect(await field(page, 'Tag').inputValue()).toBe(tag);

    // Back restores the earlier filters.
    await page.goBack();
    await expect.poll(() => query().get('q')).toBe(lamp);
    await rowOf(lamp).waitFor();
    await page.goto(`${stack().apiA}/items?tag=${tag}`);
    await rowOf(lamp).waitFor();
  });

  it('edits and deletes an item', async () => {
    await page.getByRole('link', { name: `Edit ${lamp}` }).click();
    await page.getByRole('heading', { name: 'Edit item' }).waitFor();
    await expect.poll(() => field(page, 'Name').inputValue()).toBe(lamp);
    await checkScreen(page, 'item-edit');
    await field(page, 'Price').fill('15');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => rowOf(lamp).textContent()).toMatch(/15(\.00)?/);

    await page.getByRole('button', { name: `Delete ${chair}` }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => rowOf(chair).count()).toBe(0);
    await rowOf(lamp).waitFor();
  });

  it('exports the filtered items as CSV', async () => {
    const download = page.waitForEvent('download');
    await page
      .getByRole('link', { name: 'Export CSV' })
      .or(page.getByRole('button', { name: 'Export CSV' }))
      .first()
      .click();
    const file = await (await download).path();
    const csv = await readFile(file, 'utf8');
    expect(csv.split(/\r?\n/)[0]).toMatch(/^(\uFEFF)?.*name.*price/);
    expect(csv).toContain(lamp);
    expect(csv).not.toContain(chair);
  });

  it('imports a CSV with live progress and a report of the rejected lines; the job shows in the notifications', async () => {
    await page.getByRole('link', { name: 'Import CSV' }).click();
    await page.getByRole('heading', { name: 'Import items from CSV' }).waitFor();
    await checkScreen(page, 'import');
    const lines = ['name,description,price,tax,tags'];
    for (let i = 1; i <= 30; i += 1) lines.push(`Imported ${id} ${i},from the e2e test,${i}.50,,${tag}`);
    lines.push(`Broken ${id},price is not a number,abc,,${tag}`);
    await page.getByLabel('CSV file').setInputFiles({
      name: 'items.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`${lines.join('\n')}\n`),
    });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.getByRole('progressbar', { name: 'Import progress' }).waitFor();
    await page.getByText('Import finished.').waitFor({ timeout: 30_000 });
    await page.getByText('30 imported, 1 rejected.').waitFor();
    await page.getByRole('table').filter({ hasText: 'Rejected lines' }).getByRole('row').nth(1).waitFor();
    await checkScreen(page, 'import-report');

    await nav(page).getByRole('link', { name: 'Notifications' }).click();
    await page.getByRole('heading', { name: 'Notifications' }).waitFor();
    await page.getByRole('row').filter({ hasText: 'Completed' }).first().waitFor();
    await checkScreen(page, 'notifications');

    await nav(page).getByRole('link', { name: 'Items' }).click();
    await page.goto(`${stack().apiA}/items?q=${encodeURIComponent(`Imported ${id} 30`)}`);
    await rowOf(`Imported ${id} 30`).waitFor();
  });
});
