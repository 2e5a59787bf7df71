import { readdirSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Client } from 'pg';
import { migrate, MIGRATIONS_DIR } from '../src/db/migrate';
import { createPrisma } from '../src/prisma';

// The first start runs initdb inside WASM: seconds, not milliseconds.
jest.setTimeout(120_000);

const ROOT = path.resolve(__dirname, '../..');

/**
 * PGlite loads its WASM and file system with dynamic `import()`, which Jest's module
 * sandbox refuses without --experimental-vm-modules. So the server runs where it runs in
 * production, a tsx-loaded Node process, and Prisma and `pg` reach it over TCP from here.
 * The child prints its URL, and closes the database cleanly when its stdin ends.
 */
const SERVER = `
const { startEmbeddedPostgres } = require(${JSON.stringify(path.join(ROOT, 'shared/src/db/embedded.ts'))});
const [dataDir, port] = process.argv.slice(1);
startEmbeddedPostgres({ dataDir, port: port === undefined ? undefined : Number(port) }).then(
  (pg) => {
    console.log(pg.url);
    process.stdin.on('end', () => pg.close().then(() => process.exit(0), (err) => { console.error(err); process.exit(2); }));
    process.stdin.resume();
  },
  (err) => { console.error(err.message); process.exit(3); },
);`;

interface Running {
  url: string;
  /** Asks the server to close and resolves with its exit code. */
  stop(): Promise<number | null>;
}

const children = new Set<ChildProcess>();

async function startServer(dataDir: string, port?: number): Promise<Running> {
  const args = ['--import', 'tsx', '-e', SERVER, dataDir, ...(port === undefined ? [] : [String(port)])];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = once(child, 'exit').then(([code]) => {
    children.delete(child);
    return code as number | null;
  });
  const firstLine = new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  const url = await Promise.race([firstLine, exited.then((code) => Promise.reject(new Error(`server exited ${code}: ${stderr}`)))]);
  return {
    url,
    stop: () => {
      child.stdin!.end();
      return exited;
    },
  };
}

const migrationNames = () =>
  readdirSync(MIGRATIONS_DIR, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();

describe('embedded Postgres (PGlite over the wire protocol)', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'commons-embedded-'));
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('refuses the real Postgres port', async () => {
    await expect(startServer(dataDir, 5432)).rejects.toThrow(/will not listen on 5432/);
  });

  it('migrates, serves Prisma with transactions and concurrency, and keeps data across restarts', async () => {
    const first = await startServer(dataDir);
    const url = new URL(first.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(Number(url.port)).toBeGreaterThan(0);
    expect(url.port).not.toBe('5432');

    // It is PGlite answering, not the real server the other tests use.
    const client = new Client({ connectionString: first.url });
    await client.connect();
    const { rows } = await client.query<{ version: string }>('SELECT version()');
    await client.end();
    expect(rows[0].version).toMatch(/PGlite/);

    // Every migration in the folder, in order, on the first start.
    expect(await migrate(first.url)).toEqual(migrationNames());

    const prisma = createPrisma({ url: first.url, poolSize: 10, connectTimeoutMs: 5000 });
    try {
      const channel = await prisma.$transaction(async (tx) => {
        await tx.user.create({ data: { id: 'u1', handle: 'ada', displayName: 'Ada' } });
        const created = await tx.channel.create({ data: { name: 'general', kind: 'TEXT', createdById: 'u1' } });
        await tx.membership.create({ data: { channelId: created.id, userId: 'u1', role: 'OWNER' } });
        return tx.channel.update({ where: { id: created.id }, data: { memberCount: { increment: 1 } } });
      });
      expect(channel.memberCount).toBe(1);

      // A failed interactive transaction leaves nothing behind.
      await expect(
        prisma.$transaction(async (tx) => {
          await tx.user.create({ data: { id: 'u2', handle: 'bob', displayName: 'Bob' } });
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(await prisma.user.findUnique({ where: { id: 'u2' } })).toBeNull();

      // More concurrent work than the pool has connections, writes interleaved with reads.
      const seqs = Array.from({ length: 50 }, (_, i) => BigInt(i + 1));
      const [written, read] = await Promise.all([
        Promise.all(seqs.map((seq) => prisma.message.create({ data: { channelId: channel.id, seq, authorId: 'u1', body: `m${seq}` } }))),
        Promise.all(seqs.map(() => prisma.channel.findUniqueOrThrow({ where: { id: channel.id } }))),
      ]);
      expect(written).toHaveLength(50);
      expect(read.every((c) => c.name === 'general')).toBe(true);
      expect(await prisma.message.count({ where: { channelId: channel.id } })).toBe(50);
    } finally {
      await prisma.$disconnect();
    }
    expect(await first.stop()).toBe(0);

    const second = await startServer(dataDir);
    const again = createPrisma({ url: second.url, poolSize: 5, connectTimeoutMs: 5000 });
    try {
      expect(await again.message.count()).toBe(50);
      expect(await again.membership.findMany()).toEqual([expect.objectContaining({ userId: 'u1', role: 'OWNER' })]);
      expect(await migrate(second.url)).toEqual([]);
    } finally {
      await again.$disconnect();
    }
    expect(await second.stop()).toBe(0);
  });
});
