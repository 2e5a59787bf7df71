import { createHash } from 'node:crypto';
import { appendFile, cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { migrate, MIGRATIONS_DIR } from '@commons/shared/src/db/migrate';
import { createTestDatabase, type TestDatabase } from './testkit/database';
import { findSchemaDrift } from './testkit/schema-drift';

const SCHEMA_PATH = path.resolve(__dirname, '../prisma/schema.prisma');

/** `edit`, failing loudly if `find` is not in the text (so a schema rewrite cannot hollow out a check). */
const edit = (text: string, find: string, replace: string) => {
  if (!text.includes(find)) throw new Error(`schema.prisma no longer contains ${JSON.stringify(find)}`);
  return text.replace(find, replace);
};

async function sql(url: string, text: string) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

describe('migrations', () => {
  let db: TestDatabase;
  let datamodel: string;
  let names: string[];

  beforeAll(async () => {
    db = await createTestDatabase('migrations', { migrated: false });
    datamodel = await readFile(SCHEMA_PATH, 'utf8');
    names = (await readdir(MIGRATIONS_DIR, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  });

  afterAll(() => db?.drop());

  it('apply once each and are recorded as Prisma Migrate records them', async () => {
    expect(await migrate(db.url)).toEqual(names);
    const { rows } = await sql(
      db.url,
      'SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
    );
    const checksums = await Promise.all(
      names.map(async (n) => createHash('sha256').update(await readFile(path.join(MIGRATIONS_DIR, n, 'migration.sql'))).digest('hex')),
    );
    expect(rows).toEqual(
      names.map((name, i) => ({
        migration_name: name,
        checksum: checksums[i],
        finished_at: expect.any(Date),
        rolled_back_at: null,
        applied_steps_count: 1,
      })),
    );
    expect(await migrate(db.url)).toEqual([]);
  });

  it('produce exactly the schema that schema.prisma declares', async () => {
    expect(await findSchemaDrift(db.url, datamodel)).toEqual([]);
  });

  it('drift check: notices schema.prisma changed without a migration', async () => {
    let changed = edit(datamodel, '  seq        BigInt\n', '  seq        BigInt\n  pinned     Boolean @default(false)\n');
    changed = edit(changed, '  @@index([handle])\n', '');
    changed = edit(changed, '@relation(fields: [userId], references: [id], onDelete: Cascade)', '@relation(fields: [userId], references: [id])');
    expect((await findSchemaDrift(db.url, changed)).sort()).toEqual([
      expect.stringMatching(/^column messages\.pinned: missing from the database/),
      expect.stringMatching(/^foreign key memberships\.memberships_user_id_fkey: expected .*"onDelete":"Restrict".*found .*"onDelete":"Cascade"/),
      expect.stringMatching(/^index users\.users_handle_idx: in the database but not in schema\.prisma/),
    ]);
  });

  it('refuse to run when an applied file was changed', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'commons-migrations-'));
    try {
      await cp(MIGRATIONS_DIR, dir, { recursive: true });
      await appendFile(path.join(dir, names[names.length - 1], 'migration.sql'), '\n-- edited\n');
      await expect(migrate(db.url, dir)).rejects.toThrow(/was changed after it was applied/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  // Last: it damages the database the tests above share.
  it('drift check: notices the database changed under schema.prisma', async () => {
    await sql(
      db.url,
      `DROP INDEX "memberships_user_id_channel_id_idx";
       ALTER TABLE "messages" DROP COLUMN "client_id";
       ALTER TABLE "channels" ALTER COLUMN "topic" SET NOT NULL, ALTER COLUMN "name" TYPE VARCHAR(80);
       ALTER TYPE "MemberRole" ADD VALUE 'GUEST';`,
    );
    expect((await findSchemaDrift(db.url, datamodel)).sort()).toEqual([
      'column channels.name: expected {"type":"text","nullable":false,"default":null}, found {"type":"character varying(80)","nullable":false,"default":null}',
      'column channels.topic: expected {"type":"text","nullable":true,"default":null}, found {"type":"text","nullable":false,"default":null}',
      'column messages.client_id: missing from the database',
      'enum MemberRole: expected ["OWNER","ADMIN","MEMBER"], found ["OWNER","ADMIN","MEMBER","GUEST"]',
      'index memberships.memberships_user_id_channel_id_idx: missing from the database',
      // Dropping the column took its unique index with it.
      'index messages.messages_author_id_client_id_key: missing from the database',
    ]);
  });
});
