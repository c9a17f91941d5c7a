// `npm run db:seed`: creates the ADMIN_EMAIL admin (idempotent: an existing account keeps its
// password) and a few demo items. `--items N` adds N generated items for benchmarks and demos.
import { PrismaPg } from '@prisma/adapter-pg';
import { loadConfig, loadDotenv } from '../src/config.js';
import { PrismaClient } from '../src/generated/prisma/client.js';
import { PasswordHasher } from '../src/modules/auth/password-hasher.js';

const DEMO_ITEMS = [
  { name: 'Mechanical keyboard', description: 'Tactile switches, full size', price: 89.9, tax: 17.08, tags: ['office', 'input'] },
  { name: 'Desk lamp', description: 'Warm LED light, dimmable', price: 39.5, tax: 7.5, tags: ['office', 'light'] },
  { name: 'Notebook', description: 'A5, dotted', price: 4.2, tax: 0.8, tags: ['paper'] },
];

function itemsOption(argv: string[]): number {
  const index = argv.indexOf('--items');
  if (index === -1) return 0;
  const count = Number(argv[index + 1]);
  if (!Number.isInteger(count) || count < 0) throw new Error('--items takes a whole number');
  return count;
}

/**
 * A progress bar on stderr: redrawn in place on a terminal, one line per 10 % elsewhere (CI
 * logs, the benchmark's output), with the rate and the time left.
 */
function progress(done: number, total: number, startedAt: number) {
  const tty = process.stderr.isTTY;
  const step = Math.max(1, Math.ceil(total / 10));
  if (!tty && done !== total && Math.floor(done / step) === Math.floor((done - 1000) / step)) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  const seconds = (Date.now() - startedAt) / 1000;
  const rate = done / Math.max(seconds, 0.001);
  const left = done === total ? `done in ${seconds.toFixed(1)} s` : `~${Math.ceil((total - done) / rate)} s left`;
  const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} items, ${Math.round(rate)}/s, ${left}`;
  process.stderr.write(tty ? `\r${line}${done === total ? '\n' : ''}` : `${line}\n`);
}

export async function seed(argv: string[] = process.argv.slice(2)) {
  loadDotenv();
  const config = loadConfig();
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: config.databaseUrl }) });
  try {
    const hasher = new PasswordHasher(config.bcryptCost);
    const email = config.adminEmail.toLowerCase();
    const admin = await prisma.user.upsert({
      where: { email },
      update: { role: 'ADMIN', isActive: true },
      create: { email, name: 'Administrator', role: 'ADMIN', passwordHash: await hasher.hash(config.adminPassword) },
    });
    if ((await prisma.item.count({ where: { ownerId: admin.id } })) === 0) {
      for (const item of DEMO_ITEMS) await prisma.item.create({ data: { ...item, ownerId: admin.id } });
    }
    console.log(`seed: admin ${email} ready, ${DEMO_ITEMS.length} demo items present`);

    const extra = itemsOption(argv);
    const batch = 1000;
    const startedAt = Date.now();
    for (let done = 0; done < extra; done += batch) {
      const size = Math.min(batch, extra - done);
      await prisma.item.createMany({
        data: Array.from({ length: size }, (_, i) => {
          const n = done + i;
          return { ownerId: admin.id, name: `Generated item ${n}`, description: `Demo row ${n}, "quoted", with a comma`, price: (n % 1000) + 0.99, tax: 0.19, tags: [`t${n % 20}`, 'generated'] };
        }),
      });
      progress(done + size, extra, startedAt);
    }
  } finally {
    await prisma.$disconnect();
  }
}

await seed();
