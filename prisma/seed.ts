// `npm run db:seed`: creates the ADMIN_EMAIL admin (idempotent: an existing account keeps its
// password) and a few demo items, and says how to log in. `--items N` adds N generated items
// for benchmarks and demos.
import { PrismaPg } from '@prisma/adapter-pg';
import { DEVELOPMENT_ADMIN_PASSWORD, loadConfig, loadDotenv, type Config } from '../src/config.js';
import { PrismaClient } from '../src/generated/prisma/client.js';
import { PasswordHasher } from '../src/modules/auth/password-hasher.js';

const DEMO_ITEMS = [
  {
    name: 'Mechanical keyboard',
    description: 'Tactile switches, full size',
    price: 89.9,
    tax: 17.08,
    tags: ['office', 'input'],
  },
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

/**
 * How to log in as the admin. The password is printed only when it is the published local
 * default (.env.example's, which production refuses): anything else came from a secret and is
 * named by where it was set, never shown.
 */
export function adminLoginHint(
  config: Config,
  options: { created: boolean; passwordSource: 'environment' | '.env' | 'default' },
): string {
  const email = config.adminEmail.toLowerCase();
  const login = `log in at ${config.publicUrl}/docs (Authorize)`;
  if (!options.created)
    return `seed: admin ${email} already exists, its password unchanged (the seed never resets it); ${login}`;
  if (config.adminPassword === DEVELOPMENT_ADMIN_PASSWORD && config.nodeEnv !== 'production') {
    const where =
      options.passwordSource === 'default'
        ? 'ADMIN_PASSWORD unset'
        : `ADMIN_PASSWORD from ${options.passwordSource === '.env' ? '.env' : 'the environment'}`;
    return `seed: created admin ${email} with the local development password "${DEVELOPMENT_ADMIN_PASSWORD}" (${where}: the default of .env.example, refused in production); ${login}`;
  }
  const where =
    options.passwordSource === '.env' ? 'ADMIN_PASSWORD in .env' : 'the ADMIN_PASSWORD environment variable';
  return `seed: created admin ${email}; its password is ${where} (not shown); ${login}`;
}

export async function seed(argv: string[] = process.argv.slice(2)) {
  const inEnvironment = process.env.ADMIN_PASSWORD !== undefined;
  loadDotenv();
  const passwordSource = inEnvironment ? 'environment' : process.env.ADMIN_PASSWORD !== undefined ? '.env' : 'default';
  const config = loadConfig();
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: config.databaseUrl }) });
  try {
    const hasher = new PasswordHasher(config.bcryptCost);
    const email = config.adminEmail.toLowerCase();
    const created = (await prisma.user.findUnique({ where: { email }, select: { id: true } })) === null;
    const admin = await prisma.user.upsert({
      where: { email },
      update: { role: 'ADMIN', isActive: true },
      create: { email, name: 'Administrator', role: 'ADMIN', passwordHash: await hasher.hash(config.adminPassword) },
    });
    if ((await prisma.item.count({ where: { ownerId: admin.id } })) === 0) {
      for (const item of DEMO_ITEMS) await prisma.item.create({ data: { ...item, ownerId: admin.id } });
    }
    console.log(adminLoginHint(config, { created, passwordSource }));
    console.log(`seed: ${DEMO_ITEMS.length} demo items present`);

    const extra = itemsOption(argv);
    const batch = 1000;
    const startedAt = Date.now();
    for (let done = 0; done < extra; done += batch) {
      const size = Math.min(batch, extra - done);
      await prisma.item.createMany({
        data: Array.from({ length: size }, (_, i) => {
          const n = done + i;
          return {
            ownerId: admin.id,
            name: `Generated item ${n}`,
            description: `Demo row ${n}, "quoted", with a comma`,
            price: (n % 1000) + 0.99,
            tax: 0.19,
            tags: [`t${n % 20}`, 'generated'],
          };
        }),
      });
      progress(done + size, extra, startedAt);
    }
  } finally {
    await prisma.$disconnect();
  }
}

await seed();
