// Prisma CLI configuration (Prisma 7 reads the connection URL from here, not from the schema).
import 'dotenv/config';
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: {
    path: 'prisma/migrations',
    seed: 'tsx prisma/seed.ts',
  },
  // `prisma generate` (run by `npm ci`) needs no database, so a missing DATABASE_URL must not
  // fail the install; commands that connect report the missing URL themselves.
  datasource: {
    url: process.env.DATABASE_URL,
  },
});
