// Backpressure of the CSV export over a real socket. The rows come from an endless synthetic
// source instead of the database: if the server read ahead of a slow client it would never
// stop, so "it stops, and stays bounded" is the property, whatever the socket buffer sizes.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { App } from '../../../src/app.js';
import type { ExportedItem, ItemsExportRepository } from '../../../src/modules/items/items-export.repository.js';
import { ItemsExportService } from '../../../src/modules/items/items-export.service.js';
import { buildTestApp } from '../../helpers/app.js';

const ROW_BYTES = 1000;
let rowsProduced = 0;
let sourceClosed = false;

const endless = {
  async *batches(_filter: unknown, _sort: unknown, batchSize: number): AsyncGenerator<ExportedItem[]> {
    try {
      for (let id = 1; ; ) {
        const batch: ExportedItem[] = [];
        for (let i = 0; i < batchSize; i += 1, id += 1) {
          batch.push({ id, ownerId: 1, name: `item ${id}`, description: 'x'.repeat(ROW_BYTES), price: '1.00', tax: null, tags: [], createdAt: new Date(0), updatedAt: new Date(0) });
        }
        rowsProduced += batch.length;
        yield batch;
      }
    } finally {
      sourceClosed = true;
    }
  },
} as unknown as ItemsExportRepository;

let app: App;
let port: number;

beforeAll(async () => {
  app = await buildTestApp({ overrides: { itemsExportService: new ItemsExportService(endless, 100) } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
});
afterAll(() => app.close());

it('reads rows only as fast as the client takes them, and stops the source when the client leaves', async () => {
  const request = http.get({ host: '127.0.0.1', port, path: '/api/v1/items/export.csv' });
  const response = await new Promise<http.IncomingMessage>((resolve) => request.on('response', resolve));
  expect(response.statusCode).toBe(200);
  response.pause(); // a client that stops reading

  // Wait until production stops growing (socket buffers full); an unbounded server never gets there.
  let last = -1;
  let unchanged = 0;
  await vi.waitFor(
    () => {
      unchanged = rowsProduced === last ? unchanged + 1 : 0;
      last = rowsProduced;
      if (unchanged < 5) throw new Error(`still producing: ${rowsProduced} rows`);
    },
    { timeout: 20_000, interval: 100 },
  );
  // Kernel and stream buffers hold a few MB at most: far fewer rows than an endless source.
  expect(rowsProduced * ROW_BYTES).toBeLessThan(64 * 1024 * 1024);
  expect(sourceClosed).toBe(false);

  request.destroy();
  await vi.waitFor(() => expect(sourceClosed).toBe(true), { timeout: 10_000, interval: 50 });
});
