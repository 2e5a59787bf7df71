import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client';

export { PrismaClient };
export type { Prisma } from './generated/prisma/client';

export interface DatabaseOptions {
  url: string;
  poolSize: number;
  connectTimeoutMs: number;
  /**
   * The hot reads (pg-reads.ts) as named prepared statements: Postgres parses and plans each once
   * per connection (measured: about a sixth less Postgres CPU per page load). Off for the
   * embedded database, whose connections share one session where names would collide, and for
   * poolers that do not keep prepared statements (PgBouncer in transaction mode before 1.21).
   */
  preparedStatements?: boolean;
}

// Symbol-keyed properties rather than a WeakMap: they stay reachable through `$extends` clients.
const POOL = Symbol('pg pool');
const PREPARED = Symbol('prepared statements');

/** One client per process, made in index.ts (or a test) and passed down. */
export function createPrisma({ url, poolSize, connectTimeoutMs, preparedStatements = false }: DatabaseOptions): PrismaClient {
  // pg waits forever for a free connection by default; bound both the pool and the wait.
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: connectTimeoutMs });
  // pg drops an idle connection that fails (e.g. a Postgres restart); an 'error' event with no
  // listener would crash the process, and the adapter only listens once Prisma has connected.
  pool.on('error', () => {});
  // The pool is ours so that the hot reads (pg-reads.ts) share it; $disconnect still ends it.
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  Object.defineProperty(prisma, POOL, { value: pool });
  Object.defineProperty(prisma, PREPARED, { value: preparedStatements });
  return prisma;
}

/** Whether the client's hot reads run as named prepared statements (see DatabaseOptions). */
export function usesPreparedStatements(prisma: PrismaClient): boolean {
  return (prisma as PrismaClient & { [PREPARED]?: boolean })[PREPARED] === true;
}

/** The pg pool under a client made by createPrisma: the same connections, not a second pool. */
export function poolOf(prisma: PrismaClient): pg.Pool {
  const pool = (prisma as PrismaClient & { [POOL]?: pg.Pool })[POOL];
  if (!pool) throw new Error('This Prisma client was not made by createPrisma: it has no pool to share');
  return pool;
}
