// A unit of work runs a function against repositories bound to one database transaction:
// everything inside commits together before the response is sent, or nothing does.
import type { PrismaClient } from './prisma.js';
import type { Prisma } from '../generated/prisma/client.js';

export type DbClient = PrismaClient | Prisma.TransactionClient;

export interface UnitOfWork<R> {
  run<T>(work: (repositories: R) => Promise<T>): Promise<T>;
}

export function prismaUnitOfWork<R>(prisma: PrismaClient, bind: (db: DbClient) => R): UnitOfWork<R> {
  return {
    run: (work) => prisma.$transaction((tx) => work(bind(tx))),
  };
}
