// Backpressure of the CSV export over a real socket. The rows come from an endless synthetic
// source instead of the database: if the server read ahead of a slow client it would never
// stop, so "it stops, and stays bounded" is the property, whatever the socket buffer sizes.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { App } from '../../../src/compose/api.js';
import { ItemsExportService, type ItemsCsvSource } from '../../../src/modules/items/fast-paths/items-export.service.js';
import { buildTestApp } from '../../helpers/app.js';

const ROW_BYTES = 1000;
let rowsProduced = 0;
let sourceClosed = false;

/** An endless CSV, produced only when read (like COPY output paused by backpressure). */
const endless: ItemsCsvSource = {
  async open() {
    let id = 0;
    const source = new Readable({
      read() {
        const rows: string[] = [];
        for (let i = 0; i < 100; i++) rows.push(`${++id},item ${id},${'x'.repeat(ROW_BYTES)},1.00,,,1,,\r\n`);
        rowsProduced += rows.length;
        this.push(rows.join(''));
      },
    });
    source.once('close', () => (sourceClosed = true));
    source.push('id,name,description,price,tax,tags,ownerId,createdAt,updatedAt\r\n');
    return source;
  },
};

let app: App;
let port: number;

beforeAll(async () => {
  app = await buildTestApp({ overrides: { items: { exportService: new ItemsExportService(endless) } } });
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
