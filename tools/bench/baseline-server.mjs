// The ceiling the app is compared with: bare Fastify on the same machine, no plugins, and the
// same list query written by hand with raw `pg` (the same SQL the app's repository issues).
// POST /upload streams a request body to disk untouched (no multipart parsing, no hashing):
// what HTTP plus fs cost on the api's core, reported beside the upload's fs-only baseline.
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import Fastify from 'fastify';
import pg from 'pg';

const port = Number(process.env.PORT ?? 4000);
const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DATABASE_POOL_MAX ?? 10),
});
const app = Fastify({ logger: false });

const sample = {
  id: 1,
  ownerId: 1,
  name: 'Mechanical keyboard',
  description: 'Tactile switches, full size',
  price: 89.9,
  tax: 17.08,
  tags: ['office', 'input'],
  images: [],
  createdAt: new Date('2026-01-01T00:00:00Z'),
  updatedAt: new Date('2026-01-01T00:00:00Z'),
};

const uploadDir = `.tmp/bench-baseline-upload-${process.pid}`;
mkdirSync(uploadDir, { recursive: true });
app.addContentTypeParser('multipart/form-data', (_request, payload, done) => done(null, payload));
app.post('/upload', async (request, reply) => {
  const path = `${uploadDir}/${Date.now()}.bin`;
  await pipeline(request.body, createWriteStream(path, { flush: true }));
  rmSync(path, { force: true });
  return reply.code(201).send([{ ok: true }]);
});

app.get('/health', async () => ({ status: 'ok' }));
app.get('/items/:id', async () => sample);
app.post('/items', async (request, reply) => reply.code(201).send({ ...sample, ...request.body }));

app.get('/items', async (request) => {
  const limit = Number(request.query.limit ?? 10);
  const skip = Number(request.query.skip ?? 0);
  const [rows, count] = await Promise.all([
    pool.query(
      'SELECT id, owner_id, name, description, price, tax, tags, created_at, updated_at FROM items ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2',
      [limit, skip],
    ),
    pool.query('SELECT count(*)::int AS total FROM items'),
  ]);
  const ids = rows.rows.map((row) => row.id);
  const images = await pool.query(
    'SELECT item_id, url, name FROM item_images WHERE item_id = ANY($1) ORDER BY item_id, position',
    [ids],
  );
  const byItem = new Map();
  for (const image of images.rows)
    byItem.set(image.item_id, [...(byItem.get(image.item_id) ?? []), { url: image.url, name: image.name }]);
  return {
    items: rows.rows.map((row) => ({
      id: row.id,
      ownerId: row.owner_id,
      name: row.name,
      description: row.description,
      price: Number(row.price),
      tax: row.tax === null ? null : Number(row.tax),
      tags: row.tags,
      images: byItem.get(row.id) ?? [],
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    })),
    total: count.rows[0].total,
    skip,
    limit,
  };
});

await app.listen({ host: '127.0.0.1', port });
process.on('SIGTERM', async () => {
  await app.close();
  await pool.end();
  rmSync(uploadDir, { recursive: true, force: true });
  process.exit(0);
});
