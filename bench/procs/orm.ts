// Bench child for P1: the Q1 resolver's query (the channel subgraph's user loader, which runs it
// on pg) written with Prisma, `prisma.user.findMany({ where: { id: { in: [id] } } })`, through
// Prisma 7 + @prisma/adapter-pg, the pg statement through Prisma's `$queryRaw`, and that statement
// through a raw pg pool of the same size, rows mapped to the same shape.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createPrisma } from '@commons/shared';
import { build } from 'hdr-histogram-js';
import pg from 'pg';
import { serveChild } from '../lib/child';
import { env } from '../lib/env';

serveChild(async () => {
  const e = env();
  const userId = process.env.BENCH_PG_USER_ID!;
  const prisma = createPrisma({ url: e.databaseUrl, poolSize: e.poolSize, connectTimeoutMs: 5000 });
  const pool = new pg.Pool({ connectionString: e.databaseUrl, max: e.poolSize, connectionTimeoutMillis: 5000 });

  const toUser = (row: Record<string, any>) => ({
    id: row.id,
    handle: row.handle,
    displayName: row.display_name,
    avatarUrl: row.avatar_url,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
  const ops = {
    prisma: () => prisma.user.findMany({ where: { id: { in: [userId] } } }),
    // The same SQL as pg's through Prisma: the least Prisma's own runtime can cost per call.
    prismaRaw: async () => {
      const rows = await prisma.$queryRaw<Record<string, any>[]>`SELECT id, handle, display_name, avatar_url, created_at, updated_at FROM users WHERE id = ANY(${[userId]})`;
      return rows.map(toUser);
    },
    pg: async () => {
      const r = await pool.query('SELECT id, handle, display_name, avatar_url, created_at, updated_at FROM users WHERE id = ANY($1)', [[userId]]);
      return r.rows.map(toUser);
    },
  };
  type Kind = keyof typeof ops;
  const check = async (kind: Kind) => {
    const rows = await ops[kind]();
    if (rows.length !== 1 || rows[0].id !== userId) throw new Error(`${kind} lookup returned ${JSON.stringify(rows)}`);
  };
  await check('prisma');
  await check('prismaRaw');
  await check('pg');

  const histogram = () => build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });

  /** Closed loop: `concurrency` callers, each issuing its next lookup when the last returns. */
  async function peak({ kind, concurrency, durationMs }: { kind: Kind; concurrency: number; durationMs: number }) {
    const h = histogram();
    let done = 0;
    let errors = 0;
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    const deadline = start + durationMs;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          const t = performance.now();
          try {
            await ops[kind]();
            done++;
          } catch {
            errors++;
          }
          h.recordValue(Math.max(1, Math.round((performance.now() - t) * 1000)));
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { opsPerSec: done / seconds, cpuMsPerOp: (cpu.user + cpu.system) / 1000 / done, errors, p50Us: h.getValueAtPercentile(50), p99Us: h.getValueAtPercentile(99) };
  }

  /** Open loop at a fixed rate, latency from each lookup's scheduled start; event-loop delay meanwhile. */
  async function paced({ kind, rate, durationMs }: { kind: Kind; rate: number; durationMs: number }) {
    const h = histogram();
    const eld = monitorEventLoopDelay({ resolution: 1 });
    const total = Math.floor((rate * durationMs) / 1000);
    let issued = 0;
    let done = 0;
    let errors = 0;
    const inflight = new Set<Promise<void>>();
    const start = performance.now();
    eld.enable();
    await new Promise<void>((resolve) => {
      const tick = () => {
        const now = performance.now();
        const due = Math.min(total, Math.floor(((now - start) * rate) / 1000) + 1);
        // Bounded: never more than 2,000 lookups in flight, whatever the rate.
        while (issued < due && inflight.size < 2000) {
          const scheduled = start + (issued * 1000) / rate;
          issued++;
          const p: Promise<void> = ops[kind]().then(
            () => {
              done++;
              h.recordValue(Math.max(1, Math.round((performance.now() - scheduled) * 1000)));
            },
            () => void errors++,
          ).finally(() => inflight.delete(p));
          inflight.add(p);
        }
        if (issued >= total || now - start > durationMs * 3) resolve();
        else setTimeout(tick, 1);
      };
      tick();
    });
    await Promise.all(inflight);
    eld.disable();
    const seconds = (performance.now() - start) / 1000;
    return {
      rate,
      achievedPerSec: done / seconds,
      errors,
      p50Us: h.getValueAtPercentile(50),
      p99Us: h.getValueAtPercentile(99),
      eldP99Ms: eld.percentile(99) / 1e6,
      eldMaxMs: eld.max / 1e6,
    };
  }

  return {
    info: {},
    handlers: { peak, paced },
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
});
