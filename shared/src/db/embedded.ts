import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import type { Logger } from '../logger';

/** Where a real Postgres server listens; the embedded one must never take it. */
const POSTGRES_DEFAULT_PORT = 5432;

/**
 * The connection cap of the socket server. Every connection shares PGlite's single
 * session (queries are queued one at a time), so this bounds memory, not throughput;
 * a pool larger than this gets "Too many connections", so keep DB_POOL_SIZE below it.
 */
export const EMBEDDED_MAX_CONNECTIONS = 20;

export interface EmbeddedPostgres {
  /** `postgresql://postgres@127.0.0.1:<port>/postgres`, for `pg`, `migrate()` and `createPrisma`. */
  url: string;
  /** Stops accepting connections, drops open ones, and shuts PGlite down cleanly. */
  close(): Promise<void>;
}

/**
 * Starts PGlite (Postgres compiled to WASM) with its data in `<dataDir>/pg` and serves it
 * over the Postgres wire protocol on 127.0.0.1 (run mode 1), so Prisma reaches it through
 * `@prisma/adapter-pg` exactly as it reaches a real server. Port 0 (the default) picks a
 * free port.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port?: number;
  logger?: Logger;
}): Promise<EmbeddedPostgres> {
  const port = options.port ?? 0;
  // pglite-socket falls back to 5432 when no port is given, where it would shadow (or
  // collide with) a real server: refuse it outright.
  if (port === POSTGRES_DEFAULT_PORT) {
    throw new Error(`The embedded database will not listen on ${POSTGRES_DEFAULT_PORT} (a real Postgres port); use 0 for a free port`);
  }
  const pgDir = path.resolve(options.dataDir, 'pg');
  // PGlite creates its own folder but not the parents.
  await mkdir(path.dirname(pgDir), { recursive: true });
  const db = await PGlite.create(pgDir);

  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: EMBEDDED_MAX_CONNECTIONS });
  server.addEventListener('error', (event) => {
    options.logger?.error({ err: (event as CustomEvent).detail }, 'embedded postgres: socket error');
  });
  try {
    await server.start();
  } catch (err) {
    await db.close();
    throw err;
  }
  // getServerConn() is "host:port" with the port the OS assigned once listening.
  const listeningPort = Number(server.getServerConn().split(':').pop());
  // PGlite has one user and one database whatever the startup message asks for.
  const url = `postgresql://postgres@127.0.0.1:${listeningPort}/postgres`;
  options.logger?.info({ dataDir: pgDir, port: listeningPort }, 'embedded postgres listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    close: () =>
      (closing ??= (async () => {
        await server.stop();
        // close() waits for queued work (a dropped connection's ROLLBACK) before it
        // checkpoints, so the data folder is consistent for the next start.
        await db.close();
      })()),
  };
}
