import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { migrate } from '@commons/shared/src/db/migrate';

/** The Postgres server the tests use; every test file gets a database of its own on it. */
export const TEST_PG_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated database with a unique name; `drop()` removes it. */
export async function createTestDatabase(label = 'test', { migrated = true } = {}): Promise<TestDatabase> {
  const name = `commons_${label.replace(/\W/g, '_').slice(0, 30)}_${randomBytes(4).toString('hex')}`.toLowerCase();
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  if (migrated) await migrate(url.toString());
  return {
    url: url.toString(),
    name,
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}
