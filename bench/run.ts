// `npm run bench`: every workload of issue 7 in one run on this machine, written to
// docs/BENCHMARKS.md and docs/benchmarks.json. `BENCH_QUICK=1 npm run bench` is a short (1-1.5 min) smoke
// run (fewer, shorter rounds; no S2/S3/profiles). Processes (all on 127.0.0.1, none pinned to a
// core: the OS schedules them over the machine's cores, shared with Postgres and Redis):
//   this process   - the load generators (autocannon, one-client loops, the Redis publisher)
//   subgraphs      - every subgraph, one process, counting SQL statements
//   gw-ours / gw-apollo / gw-hive - one gateway each
//   ceilings       - the L0 servers
//   orm            - P1's Prisma and raw pg loops
//   subscribers    - the graphql-ws clients
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { composeSupergraph } from '@commons/gateway/src/compose';
import { createOperationLimits } from '@commons/gateway/src/limits';
import { createForwardedUserSigner, FORWARDED_USER_HEADER, loadConfig, signClientToken, type Viewer } from '@commons/shared';
import { parse } from 'graphql';
import Redis from 'ioredis';
import { TEST_REDIS_URL } from '../tests/testkit/database';
import { benchEnvVars, type BenchEnv } from './lib/env';
import { openLiveSession, settle, type LiveDeps, type LiveRun, type LiveSession } from './lib/live';
import { checkGraphQL, sequentialLatency, throughput, type HttpTarget } from './lib/load';
import { serversCpuMsPerReq, serversCpuUs } from './lib/server-cpu';
import { killAllChildren, startProc, startScriptNodeFlags, type Proc } from './lib/proc';
import { summarizeProfile, type ProfileSummary } from './lib/profile';
import { apiSchema, buildOperation, Q1_SHAPE, Q2_SHAPE, S1_SHAPE, W1_SHAPE, withoutPath, type BuiltOperation, type Shape } from './lib/queries';
import { writeReport } from './lib/report';
import { liveChannel, memberId, PUBLISHER, seed, VIEWER, WRITERS, writerId, type Seeded } from './lib/seed';
import { round, summarize, type Summary } from './lib/stats';

const QUICK = process.env.BENCH_QUICK === '1';
const ROOT = path.resolve(__dirname, '..');

/**
 * The commit the bench ran on, `+changes` when the checkout had uncommitted ones; undefined outside
 * git. Documents and the bench's own outputs are left out (a run between two runs leaves the first
 * one's report uncommitted): they change nothing that is measured.
 */
function checkoutCommit(): string | undefined {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const notMeasured = [':(exclude,glob)**/*.md', ':(exclude)docs/benchmarks.json'];
    return git('rev-parse', '--short', 'HEAD') + (git('status', '--porcelain', '--untracked-files=no', '--', '.', ...notMeasured) ? '+changes' : '');
  } catch {
    return undefined;
  }
}
const P = QUICK
  ? { rounds: 2, windowS: 1, warmS: 0.5, latencyMs: 500, connections: 16, s1Runs: 1, s1Seconds: 2, s1Sizes: [100], distinctSizes: [], hiveSizes: [], s2: false, s3: false, profile: false, p1PacedRuns: 1 }
  : { rounds: 5, windowS: 2.5, warmS: 5, latencyMs: 1500, connections: 16, s1Runs: 5, s1Seconds: 3, s1Sizes: [100, 1000, 5000], distinctSizes: [100, 1000], hiveSizes: [100, 1000], s2: true, s3: true, profile: true, p1PacedRuns: 3 };
/** BENCH_ONLY=http,q3,live,s3,profile runs only those sections (for development); the default is all. */
const ONLY = new Set((process.env.BENCH_ONLY ?? '').split(',').map((x) => x.trim()).filter(Boolean));
/** BENCH_SCENARIOS=<regexp> runs only the live scenarios whose names match (for development). */
const SCENARIOS = process.env.BENCH_SCENARIOS ? new RegExp(process.env.BENCH_SCENARIOS) : undefined;
/** BENCH_WORKLOADS=<regexp> runs only the HTTP rounds of the workloads whose names match, logs them and writes no report (for A/B runs). */
const WORKLOADS = process.env.BENCH_WORKLOADS ? new RegExp(process.env.BENCH_WORKLOADS) : undefined;
/** BENCH_PROFILE=1 (with BENCH_WORKLOADS): profiles our gateway and the subgraphs over each workload's last round. */
const PROFILE_ROUNDS = WORKLOADS !== undefined && process.env.BENCH_PROFILE === '1';
const want = (section: 'http' | 'q3' | 'live' | 's3' | 'profile') => (WORKLOADS ? section === 'http' : ONLY.size === 0 || ONLY.has(section));
const S1_RATE = 10;
/** Sequential Q2 requests per Q3 count (after a warm one and a full collection in each process). */
const Q3_REPS = QUICK ? 3 : 30;
const SHARED_USERS = 10;
/** S3's idle subscribers, one socket each. */
const S3_SUBSCRIBERS = 10_000;
/** Idle time before each S3 reading: RSS right after a burst of connections still moves. */
const S3_SETTLE_MS = 5_000;
const JWT_SECRET = `bench-jwt-${randomBytes(16).toString('hex')}`;
const GATEWAY_SECRET = `bench-gw-${randomBytes(16).toString('hex')}`;
/**
 * Our gateway's limits, raised where the bench needs it: per-user sockets and subscriptions
 * (so that a few users can hold many sockets), and the cost limit only when its default refuses
 * the Q2 page at one of Q3's sizes (the report says so). Everything else is the default.
 */
const GATEWAY_ENV: Record<string, string> = { MAX_SOCKETS_PER_USER: '2000', MAX_SUBSCRIPTIONS_PER_USER: '2000' };
const Q3_SIZES = [10, 50, 100];
const PROFILE_S = 6;

const log = (...a: unknown[]) => console.log(`[bench ${((performance.now() - t0) / 1000).toFixed(0).padStart(4)}s]`, ...a);
const t0 = performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type GwKey = 'ours' | 'apollo' | 'hive' | 'ab';
const GW_LABEL: Record<GwKey, string> = { ours: 'our gateway', apollo: 'stock @apollo/gateway', hive: 'Hive Gateway', ab: 'our gateway, variant B' };
/**
 * A/B runs (with BENCH_WORKLOADS only): BENCH_AB=1 starts a second instance of our gateway as `ab`,
 * with the node flags in BENCH_AB_FLAGS (else those of ours), from the checkout at BENCH_AB_ROOT if
 * given (its bench/procs/gateway.ts, so a baseline commit's gateway runs beside this one in the same
 * rounds; e.g. `git worktree add ../ab HEAD~1 && (cd ../ab && npm ci)`). E.g.
 * `BENCH_WORKLOADS='^q2-(ours|ab)$' BENCH_ROUNDS=8 BENCH_AB=1 BENCH_AB_ROOT=../ab npm run bench`.
 * BENCH_LATENCY=1 adds Q1's one-client latency rounds over the selected Q1 paths.
 */
const AB = WORKLOADS && process.env.BENCH_AB === '1';
const GW_KEYS: GwKey[] = ['ours', 'apollo', 'hive', ...(AB ? (['ab'] as const) : [])];
/** Node flags from a space-separated environment variable (empty: none), or `fallback()` when it is unset. */
const flagsFromEnv = (name: string, fallback: () => string[]) => process.env[name]?.split(' ').filter(Boolean) ?? fallback();

interface WindowResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  gatewayCpuMsPerReq?: number;
  gatewayEldP99Ms?: number;
  subgraphCpuMsPerReq?: number;
  /** The PostgreSQL server's CPU (every backend) per request. */
  postgresCpuMsPerReq?: number;
  /** The Redis server's CPU per request. */
  redisCpuMsPerReq?: number;
  /** The bench process's own CPU per request: the load generator. */
  loadCpuMsPerReq?: number;
  fetchesPerReq?: number;
  representationsPerReq?: number;
  /** HTTP requests the subgraphs answered per request answered (in-flight merging shows here). */
  subgraphRequestsPerReq?: number;
  extra?: Record<string, number>;
}

interface Workload {
  name: string;
  group: 'L0' | 'Q1' | 'Q2' | 'P1' | 'W1';
  label: string;
  run: (seconds: number, tag: string) => Promise<WindowResult>;
}

async function main() {
  const loadStart = os.loadavg();
  log(`node ${process.version}, ${os.cpus().length} cores, load average ${loadStart.map((l) => l.toFixed(2)).join(' ')}${QUICK ? ', QUICK' : ''}`);
  const unavailable: Record<string, string> = {};
  const procs: Proc[] = [];
  let seeded: Seeded | undefined;
  const redisConns: Redis[] = [];
  const tmpFiles: string[] = [];
  let redisPrefix: string | undefined;
  const cleanup = async () => {
    for (const f of tmpFiles) rmSync(f, { force: true });
    for (const p of procs.reverse()) await p.stop().catch(() => {});
    killAllChildren();
    for (const r of redisConns) r.disconnect();
    // The run's Redis keys (caches, limits) go with it, as its database does.
    if (redisPrefix) await dropRedisPrefix(redisPrefix).catch((err) => log("could not delete the run's Redis keys:", err.message));
    await seeded?.close().catch((err) => log('could not drop the bench database:', err.message));
  };
  process.once('SIGINT', () => {
    log('interrupted: stopping children and dropping the database');
    void cleanup().finally(() => process.exit(130));
  });

  try {
    // ------------------------------------------------------------------ data and processes
    seeded = await seed();
    const { prisma, channelId, writeChannelIds, hotChannelId } = seeded;
    log(`database ${seeded.db.name} seeded`);
    const prefix = `bench:${randomBytes(4).toString('hex')}:`;
    redisPrefix = prefix;
    const benchEnv: BenchEnv = { databaseUrl: seeded.db.url, redisUrl: TEST_REDIS_URL, prefix, jwtSecret: JWT_SECRET, gatewaySecret: GATEWAY_SECRET, poolSize: 10 };
    const childEnv = { ...benchEnvVars(benchEnv), BENCH_VIEWER: JSON.stringify(VIEWER), BENCH_PG_USER_ID: memberId(0), NODE_ENV: 'production' };

    // Composed once, before anything starts: every gateway of the run serves this very graph.
    const sdl = composeSupergraph();
    const sdlPath = path.join(os.tmpdir(), `commons-bench-${prefix.slice(6, 14)}.graphql`);
    writeFileSync(sdlPath, sdl);
    tmpFiles.push(sdlPath);
    // What the default cost limit says of the Q2 page; raised for the run only if it refuses it.
    const q2CostAtDefault: Array<{ n: number; verdict: string }> = [];
    try {
      const schemaForCost = apiSchema(sdl);
      const q2Text = buildOperation(schemaForCost, 'query', 'Q2', { channelId: 'ID!', n: 'Int' }, Q2_SHAPE).query;
      const defaults = createOperationLimits(loadConfig({ NODE_ENV: 'production', JWT_SECRET, GATEWAY_SECRET }));
      for (const n of Q3_SIZES) {
        const refused = defaults.checkCost(schemaForCost, parse(q2Text), 'Q2', { channelId, n });
        q2CostAtDefault.push({ n, verdict: refused ? refused.message : 'within the default limit' });
        if (refused) GATEWAY_ENV.MAX_COST = '1000000';
      }
    } catch (err) {
      q2CostAtDefault.push({ n: 0, verdict: `could not evaluate: ${(err as Error).message}` });
    }
    // Our processes run with the node flags of their start scripts (the peers with node's defaults).
    // BENCH_OURS_FLAGS (development only) replaces our gateway's, e.g. to measure one without them.
    const ourFlags = {
      gateway: flagsFromEnv('BENCH_OURS_FLAGS', () => startScriptNodeFlags('start:gateway')),
      subgraphs: startScriptNodeFlags('start:message'),
    };
    const subgraphs = await startProc<{ urls: Record<string, string> }>('subgraphs', 'subgraphs.ts', { env: childEnv, execArgv: ourFlags.subgraphs });
    procs.push(subgraphs);
    const gwEnv = { ...childEnv, BENCH_SUPERGRAPH_PATH: sdlPath, BENCH_SUBGRAPH_URLS: JSON.stringify(subgraphs.info.urls), BENCH_GATEWAY_ENV: JSON.stringify(GATEWAY_ENV) };
    // The rest start together (their start-up is mostly compiling TypeScript through tsx).
    const gateways: Partial<Record<GwKey, Proc<{ url: string }>>> = {};
    const started = await Promise.allSettled([
      ...GW_KEYS.map((key) =>
        key === 'ab'
          ? startProc<{ url: string }>('gw-ab', path.resolve(process.env.BENCH_AB_ROOT ?? ROOT, 'bench', 'procs', 'gateway.ts'), {
              env: gwEnv,
              args: ['ours'],
              readyTimeoutMs: 120_000,
              execArgv: flagsFromEnv('BENCH_AB_FLAGS', () => ourFlags.gateway),
            })
          : startProc<{ url: string }>(`gw-${key}`, 'gateway.ts', { env: gwEnv, args: [key], readyTimeoutMs: 120_000, execArgv: key === 'ours' ? ourFlags.gateway : [] }),
      ),
      startProc<{ hello: string; pg: string; apollo: string }>('ceilings', 'ceilings.ts', { env: childEnv, readyTimeoutMs: 120_000 }),
      startProc('orm', 'orm.ts', { env: childEnv, readyTimeoutMs: 120_000 }),
      startProc('subscribers', 'subscribers.ts', { env: childEnv, readyTimeoutMs: 120_000 }),
    ]);
    for (const s of started) if (s.status === 'fulfilled') procs.push(s.value);
    GW_KEYS.forEach((key, i) => {
      const s = started[i];
      if (s.status === 'fulfilled') gateways[key] = s.value as Proc<{ url: string }>;
      else if (key === 'ours') throw s.reason;
      else {
        unavailable[key] = `did not start: ${(s.reason as Error).message.split('\n').slice(0, 3).join(' ')}`;
        log(`${GW_LABEL[key]} unavailable: ${unavailable[key]}`);
      }
    });
    for (const s of started.slice(GW_KEYS.length)) if (s.status === 'rejected') throw s.reason;
    const [ceilings, orm, subscribers] = started.slice(GW_KEYS.length).map((s) => (s as PromiseFulfilledResult<Proc>).value) as [Proc<{ hello: string; pg: string; apollo: string }>, Proc, Proc];
    log('processes up:', procs.map((p) => `${p.name}=${p.pid}`).join(' '));

    // ------------------------------------------------------------------ operations and identities
    const schema = apiSchema(sdl);
    const token = (v: Viewer) => signClientToken(JWT_SECRET, v);
    const q1 = buildOperation(schema, 'query', 'Q1', { id: 'ID!' }, Q1_SHAPE);
    // Fields the schema has but whose resolvers fail today (work in progress elsewhere) are
    // dropped too, one failing path at a time, and listed in the report.
    let q2Shape: Shape = Q2_SHAPE;
    let q2: BuiltOperation = buildOperation(schema, 'query', 'Q2', { channelId: 'ID!', n: 'Int' }, q2Shape);
    const q2Failing: string[] = [];
    for (let attempt = 0; attempt < 10; attempt++) {
      const res = await fetch(gateways.ours!.info.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await token(VIEWER)}` },
        body: JSON.stringify({ query: q2.query, variables: { channelId, n: 50 } }),
      }).then((r) => r.json() as Promise<{ errors?: Array<{ path?: Array<string | number>; message: string }> }>);
      const failing = res.errors?.find((e) => e.path && e.path.length > 1);
      if (!failing) break;
      q2Failing.push(`${failing.path!.filter((p) => typeof p === 'string').join('.')} (${failing.message})`);
      q2Shape = withoutPath(q2Shape, failing.path!);
      q2 = buildOperation(schema, 'query', 'Q2', { channelId: 'ID!', n: 'Int' }, q2Shape);
    }
    const w1 = buildOperation(schema, 'mutation', 'W1', { input: 'SendMessageInput!' }, W1_SHAPE);
    const s1 = buildOperation(schema, 'subscription', 'S1', { channelId: 'ID!' }, S1_SHAPE);
    const viewerToken = await token(VIEWER);
    const publisherToken = await token(PUBLISHER);
    const writerTokens = await Promise.all(Array.from({ length: WRITERS }, (_, i) => token({ id: writerId(i), name: `Writer ${i}`, handle: `writer${i}` })));
    const signForwarded = createForwardedUserSigner(GATEWAY_SECRET);
    const bearer = { authorization: `Bearer ${viewerToken}` };

    const gql = (query: string, variables: Record<string, unknown>) => JSON.stringify({ query, variables });
    const q1Body = gql(q1.query, { id: memberId(0) });
    const q2Body = (n: number) => gql(q2.query, { channelId, n });
    // Under load every connection is another member of the Q2 channel (as many people opening
    // it), so no gateway can merge one user's identical in-flight requests into one.
    const loadUsers: Viewer[] = Array.from({ length: P.connections }, (_, i) => ({ id: memberId(i), name: `Member ${i}`, handle: `member${i}` }));
    const loadBearers = await Promise.all(loadUsers.map(async (u) => ({ authorization: `Bearer ${await token(u)}` })));
    const viaGateway = (key: GwKey, body: string, name: string): HttpTarget => ({ name, url: gateways[key]!.info.url, body, headers: bearer, perConnection: loadBearers });
    const direct = async (body: string, name: string): Promise<HttpTarget> => ({
      name,
      url: subgraphs.info.urls.channel,
      body,
      headers: { [FORWARDED_USER_HEADER]: await signForwarded(VIEWER) },
      perConnection: await Promise.all(loadUsers.map(async (u) => ({ [FORWARDED_USER_HEADER]: await signForwarded(u) }))),
    });

    // ------------------------------------------------------------------ correctness first
    const q1Direct = await checkGraphQL(await direct(q1Body, 'Q1 direct'));
    const q2Pages: Partial<Record<GwKey, unknown>> = {};
    for (const key of Object.keys(gateways) as GwKey[]) {
      try {
        const q1Data = await checkGraphQL(viaGateway(key, q1Body, `Q1 via ${key}`));
        if (JSON.stringify(q1Data) !== JSON.stringify(q1Direct)) throw new Error(`Q1 via ${key} differs from the subgraph's own answer`);
        q2Pages[key] = await checkGraphQL(viaGateway(key, q2Body(50), `Q2 via ${key}`), (d) =>
          d?.channel?.messages?.edges?.length === 50 ? undefined : 'expected 50 messages',
        );
      } catch (err) {
        if (key === 'ours') throw err;
        unavailable[key] = `failed the correctness check: ${(err as Error).message.slice(0, 400)}`;
        log(`${GW_LABEL[key]} unavailable: ${unavailable[key]}`);
        await gateways[key]!.stop();
        delete gateways[key];
      }
    }
    const q2Same: Record<string, boolean> = {};
    for (const key of Object.keys(q2Pages) as GwKey[]) q2Same[key] = JSON.stringify(q2Pages[key]) === JSON.stringify(q2Pages.ours);
    log('checks passed; Q2 pages identical to ours:', JSON.stringify(q2Same));
    for (const c of ['hello', 'pg', 'apollo'] as const) {
      const u = ceilings.info[c];
      const res = await fetch(u, c === 'apollo' ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' } : {});
      if (!res.ok) throw new Error(`L0 ${c} answered ${res.status}`);
    }

    // ------------------------------------------------------------------ the interleaved HTTP workloads
    const measureHttp = (make: () => HttpTarget | Promise<HttpTarget>, gwKey?: GwKey) => async (seconds: number): Promise<WindowResult> => {
      const target = await make();
      const gw = gwKey ? gateways[gwKey] : undefined;
      if (gw) await gw.call('resetEld');
      const [g0, gc0, s0, sc0] = await Promise.all([gw?.stats(), gw?.call('counters'), subgraphs.stats(), subgraphs.call('counters')]);
      const [servers0, load0] = [serversCpuUs(), process.cpuUsage()];
      const r = await throughput(target, P.connections, seconds);
      const [servers1, load1] = [serversCpuUs(), process.cpuUsage(load0)];
      const [g1, gc1, s1s, sc1] = await Promise.all([gw?.stats(), gw?.call('counters'), subgraphs.stats(), subgraphs.call('counters')]);
      const subgraphRequests = Object.keys(sc1.requests).reduce((a, k) => a + sc1.requests[k] - sc0.requests[k], 0);
      const n = r.requests > 0 ? r.requests : NaN;
      return {
        rps: r.rps,
        p50Ms: r.p50Ms,
        p99Ms: r.p99Ms,
        errors: r.errors + r.non2xx,
        gatewayCpuMsPerReq: g0 && g1 ? (g1.cpuUserUs + g1.cpuSystemUs - g0.cpuUserUs - g0.cpuSystemUs) / 1000 / n : undefined,
        gatewayEldP99Ms: g1?.eld.p99,
        subgraphCpuMsPerReq: (s1s.cpuUserUs + s1s.cpuSystemUs - s0.cpuUserUs - s0.cpuSystemUs) / 1000 / n,
        ...serversCpuMsPerReq(servers0, servers1, n),
        loadCpuMsPerReq: (load1.user + load1.system) / 1000 / n,
        fetchesPerReq: gc0 && gc1 ? (gc1.count - gc0.count) / n : undefined,
        representationsPerReq: gc0 && gc1 ? (gc1.representations - gc0.representations) / n : undefined,
        subgraphRequestsPerReq: subgraphRequests / n,
      };
    };
    const p1Peak = (kind: 'prisma' | 'prismaRaw' | 'pg') => async (seconds: number): Promise<WindowResult> => {
      const r = await orm.call('peak', { kind, concurrency: P.connections, durationMs: seconds * 1000 });
      return { rps: r.opsPerSec, p50Ms: r.p50Us / 1000, p99Ms: r.p99Us / 1000, errors: r.errors, extra: { cpuMsPerLookup: r.cpuMsPerOp } };
    };

    // W1: sendMessage through our gateway by WRITERS members in turn, into WRITE_CHANNELS channels
    // (one socket subscribed to each) or into one hot channel (ten sockets of one user subscribed).
    const w1Listener = new Redis(TEST_REDIS_URL);
    redisConns.push(w1Listener);
    const w1Channels = new Set([...writeChannelIds, hotChannelId].map((c) => `${prefix}channel:${c}:messages`));
    const w1Published = new Map<string, number>();
    w1Listener.on('message', (ch: string) => void (w1Channels.has(ch) && w1Published.set(ch, (w1Published.get(ch) ?? 0) + 1)));
    await w1Listener.subscribe(...w1Channels);
    const publishedIn = (cids: string[]) => cids.reduce((a, c) => a + (w1Published.get(`${prefix}channel:${c}:messages`) ?? 0), 0);
    const wsUrl = gateways.ours!.info.url.replace(/^http/, 'ws');
    const w1Conns = [
      ...(await Promise.all(writeChannelIds.map((cid) => subscribers.call('connect', { group: 'w1', url: wsUrl, tokens: [writerTokens[0]], query: s1.query, variables: { channelId: cid } })))),
      await subscribers.call('connect', { group: 'w1hot', url: wsUrl, tokens: Array.from({ length: 10 }, () => writerTokens[0]), query: s1.query, variables: { channelId: hotChannelId } }),
    ];
    const w1Run = (group: 'w1' | 'w1hot', cids: string[]) => async (seconds: number, tag: string): Promise<WindowResult> => {
      const run = `${group}${tag}`;
      await subscribers.call('arm', { group, run });
      const countStored = () => prisma.message.count({ where: { channelId: { in: cids } } });
      const stored0 = await countStored();
      const published0 = publishedIn(cids);
      await gateways.ours!.call('resetEld');
      const [g0, sub0, sc0] = await Promise.all([gateways.ours!.stats(), subgraphs.stats(), subgraphs.call('counters')]);
      const servers0 = serversCpuUs();
      let i = 0;
      let bad = 0;
      let firstBad: string | undefined;
      const url = new URL(gateways.ours!.info.url);
      const r = await autocannon({
        url: url.origin,
        connections: P.connections,
        duration: seconds,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            path: url.pathname,
            setupRequest: (req) => {
              const n = i++;
              const body = `t:${run}:${n}:${(performance.timeOrigin + performance.now()).toFixed(3)}`;
              return {
                ...req,
                headers: { 'content-type': 'application/json', authorization: `Bearer ${writerTokens[n % writerTokens.length]}` },
                body: gql(w1.query, { input: { channelId: cids[n % cids.length], body } }),
              };
            },
            onResponse: (status, body) => {
              if (status !== 200 || body.includes('"errors"')) {
                bad++;
                firstBad ??= `${status} ${body.slice(0, 300)}`;
              }
            },
          },
        ],
      });
      await sleep(500);
      const servers1 = serversCpuUs();
      const [g1, sub1, sc1] = await Promise.all([gateways.ours!.stats(), subgraphs.stats(), subgraphs.call('counters')]);
      const stored = (await countStored()) - stored0;
      const published = publishedIn(cids) - published0;
      const rep = await subscribers.call('report', { group });
      if (firstBad) log(`W1 ${group}: ${bad} failed sends, first: ${firstBad}`);
      const n = r.requests.total > 0 ? r.requests.total : NaN;
      // Every subscriber should see every message of its channel: one socket per channel (w1), ten on one (w1hot).
      const deliveredRatio = stored ? (group === 'w1' ? rep.received / stored : rep.minPerSocket / stored) : 0;
      return {
        rps: Math.min(stored, published) / r.duration,
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        errors: bad + r.errors + r.timeouts,
        gatewayCpuMsPerReq: (g1.cpuUserUs + g1.cpuSystemUs - g0.cpuUserUs - g0.cpuSystemUs) / 1000 / n,
        subgraphCpuMsPerReq: (sub1.cpuUserUs + sub1.cpuSystemUs - sub0.cpuUserUs - sub0.cpuSystemUs) / 1000 / n,
        ...serversCpuMsPerReq(servers0, servers1, n),
        gatewayEldP99Ms: g1.eld.p99,
        subgraphRequestsPerReq: Object.keys(sc1.requests).reduce((a, k) => a + sc1.requests[k] - sc0.requests[k], 0) / n,
        extra: {
          statementsPerSend: (sc1.statements - sc0.statements) / n,
          storedPerSec: stored / r.duration,
          publishedPerSec: published / r.duration,
          deliveredRatio,
          deliveryP50Ms: rep.p50Ms,
          deliveryP99Ms: rep.p99Ms,
        },
      };
    };

    const allWorkloads: Workload[] = [
      { name: 'l0-hello', group: 'L0', label: 'node:http hello world', run: measureHttp(() => ({ name: 'hello', url: ceilings.info.hello })) },
      { name: 'l0-apollo', group: 'L0', label: 'Apollo Server `{ __typename }`', run: measureHttp(() => ({ name: 'apollo', url: ceilings.info.apollo, body: '{"query":"{ __typename }"}' })) },
      { name: 'l0-pg', group: 'L0', label: 'node:http + pg primary-key lookup', run: measureHttp(() => ({ name: 'pg', url: ceilings.info.pg })) },
      { name: 'q1-direct', group: 'Q1', label: 'Q1 direct to the channel subgraph', run: measureHttp(() => direct(q1Body, 'q1-direct')) },
      ...(Object.keys(gateways) as GwKey[]).map((key) => ({ name: `q1-${key}`, group: 'Q1' as const, label: `Q1 through ${GW_LABEL[key]}`, run: measureHttp(() => viaGateway(key, q1Body, `q1-${key}`), key) })),
      ...(Object.keys(gateways) as GwKey[]).map((key) => ({ name: `q2-${key}`, group: 'Q2' as const, label: `Q2 through ${GW_LABEL[key]}`, run: measureHttp(() => viaGateway(key, q2Body(50), `q2-${key}`), key) })),
      { name: 'p1-prisma', group: 'P1', label: 'P1 user lookup through Prisma', run: p1Peak('prisma') },
      { name: 'p1-prisma-raw', group: 'P1', label: "P1 pg's SQL through Prisma's `$queryRaw`", run: p1Peak('prismaRaw') },
      { name: 'p1-pg', group: 'P1', label: 'P1 user lookup through raw pg', run: p1Peak('pg') },
      { name: 'w1', group: 'W1', label: `W1 sendMessage into ${writeChannelIds.length} channels`, run: w1Run('w1', writeChannelIds) },
      { name: 'w1-hot', group: 'W1', label: 'W1 sendMessage into one channel', run: w1Run('w1hot', [hotChannelId]) },
    ];
    const workloads = allWorkloads.filter((w) => !WORKLOADS || WORKLOADS.test(w.name));
    const w1Failed = w1Conns.filter((c) => c.connected === 0);
    if (w1Failed.length) unavailable.w1 = `some W1 subscribers could not connect: ${w1Failed.map((c) => c.errors.join('; ')).join('; ')}`;

    const logProfiles = async (name: string) => {
      const dir = path.join(ROOT, 'bench', '.profiles');
      mkdirSync(dir, { recursive: true });
      const files = { gateway: path.join(dir, `${name}-gateway.cpuprofile`), subgraphs: path.join(dir, `${name}-subgraphs.cpuprofile`) };
      await Promise.all([gateways.ours!.call('profileStop', files.gateway), subgraphs.call('profileStop', files.subgraphs)]);
      for (const [who, file] of Object.entries(files)) {
        const s = summarizeProfile(file, 25);
        log(`${name}, ${who}: busy ${s.busyMs} ms of ${s.totalMs} (${file})`);
        for (const r of s.byFunction) log(`  ${r.share.toFixed(1).padStart(5)}% ${r.name}`);
        log('  inclusive:');
        for (const r of s.inclusive) log(`  ${r.share.toFixed(1).padStart(5)}% ${r.name}`);
      }
    };
    if (process.env.BENCH_ROUNDS) P.rounds = Number(process.env.BENCH_ROUNDS);
    const windows: Record<string, WindowResult[]> = Object.fromEntries(workloads.map((w) => [w.name, []]));
    if (want('http')) {
      // 5 s each: with 1 s, W1's first round ran its code paths half-compiled (gateway and subgraph
      // CPU per send about twice the later rounds'); after 5 s it read like the rest (findings).
      log(`warm-up: ${workloads.length} workloads x ${P.warmS}s`);
      for (const w of workloads) await w.run(P.warmS, 'warm');
      for (let r = 0; r < P.rounds; r++) {
        // Rotate the order every round so no workload always runs first or after the same neighbour.
        const order = workloads.map((_, i) => workloads[(i + r * 3) % workloads.length]);
        for (const w of order) {
          const profiled = PROFILE_ROUNDS && r === P.rounds - 1;
          if (profiled) await Promise.all([gateways.ours!.call('profileStart'), subgraphs.call('profileStart')]);
          windows[w.name].push(await w.run(P.windowS, `r${r}`));
          if (profiled) await logProfiles(w.name);
        }
        const cpu = (w: Workload) => {
          const x = windows[w.name][r];
          const parts = Object.entries({ gateway: x.gatewayCpuMsPerReq, subgraphs: x.subgraphCpuMsPerReq, postgres: x.postgresCpuMsPerReq, redis: x.redisCpuMsPerReq, load: x.loadCpuMsPerReq, client: x.extra?.cpuMsPerLookup })
            .filter(([, v]) => v)
            .map(([k, v]) => `${k} ${v!.toFixed(2)}`);
          const counts = x.subgraphRequestsPerReq === undefined ? '' : `; subgraph requests ${x.subgraphRequestsPerReq.toFixed(2)}${x.extra?.statementsPerSend === undefined ? '' : `, statements ${x.extra.statementsPerSend.toFixed(2)}`}`;
          return parts.length ? ` (CPU ms: ${parts.join(', ')}${counts})` : '';
        };
        const tail = (w: Workload) => ` p50/p99 ${windows[w.name][r].p50Ms}/${windows[w.name][r].p99Ms} ms`;
        log(`round ${r + 1}/${P.rounds}: ` + workloads.map((w) => `${w.name} ${Math.round(windows[w.name][r].rps)}/s${tail(w)}${cpu(w)}`).join(', '));
      }
    }

    // ------------------------------------------------------------------ Q1 one-client latency, interleaved
    // With BENCH_WORKLOADS only when BENCH_LATENCY=1 (see AB above), over the selected Q1 paths.
    const latencyTargets = ([
      ['direct', () => direct(q1Body, 'q1-direct')],
      ...(Object.keys(gateways) as GwKey[]).map((key) => [key, () => viaGateway(key, q1Body, `q1-${key}`)] as [string, () => HttpTarget]),
    ] as Array<[string, () => Promise<HttpTarget> | HttpTarget]>).filter(([k]) => !WORKLOADS || WORKLOADS.test(`q1-${k}`));
    const latency: Record<string, number[]> = Object.fromEntries(latencyTargets.map(([k]) => [k, []]));
    const wantLatency = want('http') && (!WORKLOADS || process.env.BENCH_LATENCY === '1');
    if (wantLatency) for (const [, make] of latencyTargets) await sequentialLatency(await make(), 300);
    for (let r = 0; r < (wantLatency ? P.rounds : 0); r++) {
      for (let i = 0; i < latencyTargets.length; i++) {
        const [k, make] = latencyTargets[(i + r) % latencyTargets.length];
        latency[k].push((await sequentialLatency(await make(), P.latencyMs)).p50Us);
      }
    }
    if (wantLatency) log('Q1 one-client p50 per round (us):', JSON.stringify(latency));

    // ------------------------------------------------------------------ P1 at 70% of the peak
    const peak = (k: string) => summarize(windows[k].map((w) => w.rps)).median;
    const paced: Record<string, any[]> = { prisma: [], pg: [] };
    for (let r = 0; r < (want('http') && !WORKLOADS ? P.p1PacedRuns : 0); r++) {
      for (const kind of r % 2 ? (['pg', 'prisma'] as const) : (['prisma', 'pg'] as const)) {
        paced[kind].push(await orm.call('paced', { kind, rate: Math.round(0.7 * peak(`p1-${kind}`)), durationMs: P.windowS * 1000 }));
      }
    }

    // ------------------------------------------------------------------ Q3: statements per request
    const cpuMs = (a: { cpuUserUs: number; cpuSystemUs: number }, b: { cpuUserUs: number; cpuSystemUs: number }) => (b.cpuUserUs + b.cpuSystemUs - a.cpuUserUs - a.cpuSystemUs) / 1000;
    const counts = async (key: GwKey, n: number, reps = Q3_REPS) => {
      const target = viaGateway(key, q2Body(n), `q3-${key}-${n}`);
      await checkGraphQL(target);
      // A collection owed by earlier sections would otherwise land on these few requests' CPU.
      await Promise.all([subgraphs.call('gc'), gateways[key]!.call('gc')]);
      const [s0, g0, sp0, gp0] = await Promise.all([subgraphs.call('counters'), gateways[key]!.call('counters'), subgraphs.stats(), gateways[key]!.stats()]);
      let bytes = 0;
      for (let i = 0; i < reps; i++) bytes += JSON.stringify(await checkGraphQL(target)).length;
      const [s1c, g1, sp1, gp1] = await Promise.all([subgraphs.call('counters'), gateways[key]!.call('counters'), subgraphs.stats(), gateways[key]!.stats()]);
      const requests = Object.fromEntries(Object.keys(s1c.requests).map((k) => [k, (s1c.requests[k] - s0.requests[k]) / reps]));
      return {
        gateway: key,
        n,
        statements: (s1c.statements - s0.statements) / reps,
        subgraphRequests: requests,
        gatewayFetches: (g1.count - g0.count) / reps,
        representations: (g1.representations - g0.representations) / reps,
        // One request at a time: CPU per request without contention between requests.
        gatewayCpuMs: cpuMs(gp0, gp1) / reps,
        subgraphsCpuMs: cpuMs(sp0, sp1) / reps,
        responseKB: bytes / reps / 1024,
      };
    };
    const q3: any[] = [];
    const q3Peers: any[] = [];
    const sqlLog: Record<number, string[]> = {};
    if (want('q3')) {
      for (const n of Q3_SIZES) q3.push(await counts('ours', n));
      for (const key of Object.keys(gateways) as GwKey[]) q3Peers.push(await counts(key, 50));
      for (const n of Q3_SIZES) {
        await subgraphs.call('sqlLog', true);
        await checkGraphQL(viaGateway('ours', q2Body(n), 'q3-log'));
        sqlLog[n] = await subgraphs.call('sqlLog', false);
      }
      log('Q3 statements per request (ours):', q3.map((c) => `${c.n}: ${c.statements}`).join(', '));
    }

    // ------------------------------------------------------------------ S1, S2, S3: live
    const listener = new Redis(TEST_REDIS_URL);
    const publisher = new Redis(TEST_REDIS_URL);
    redisConns.push(listener, publisher);
    const liveDeps: LiveDeps = {
      subscribers,
      publisher,
      listener,
      prefix,
      subscriptionQuery: s1.query,
      sendProbe: async (cid, body) => {
        // An overloaded stack may fail a send (a subgraph deadline): the probe loop sends another.
        await checkGraphQL({
          name: 'probe',
          url: gateways.ours!.info.url,
          body: gql(w1.query, { input: { channelId: cid, body } }),
          headers: { authorization: `Bearer ${publisherToken}` },
        });
      },
    };
    const sharedTokens = await Promise.all(Array.from({ length: SHARED_USERS }, (_, i) => token({ id: `s-shared-${i}`, name: `Shared ${i}` })));
    const tokensFor = async (mode: 'shared' | 'distinct', n: number, tag: string) =>
      mode === 'shared'
        ? Array.from({ length: n }, (_, i) => sharedTokens[i % SHARED_USERS])
        : Promise.all(Array.from({ length: n }, (_, i) => token({ id: `s-${tag}-${i}`, name: `Subscriber ${i}` })));

    interface Scenario {
      name: string;
      gateway: GwKey;
      mode: 'shared' | 'distinct';
      subscribers: number;
      ready: boolean;
      note?: string;
      connectMs?: number;
      probes?: number;
      pipelines?: number;
      runs: LiveRun[];
      summary?: Record<string, Summary | number>;
    }
    const scenarios: Scenario[] = [];
    const summarizeRuns = (runs: LiveRun[]) => {
      const expected = runs.reduce((a, r) => a + r.expected, 0);
      const received = runs.reduce((a, r) => a + r.received, 0);
      return {
        p50Ms: summarize(runs.map((r) => r.p50Ms)),
        p99Ms: summarize(runs.map((r) => r.p99Ms)),
        p999Ms: summarize(runs.map((r) => r.p999Ms)),
        deliveredRatio: expected ? received / expected : 0,
        // Over all runs, like `delivered`: events that arrived within their run's window, per second.
        deliveriesPerSec: summarize([runs.reduce((a, r) => a + r.received / r.events, 0) / Math.max(1, runs.length) * (runs[0]?.rate ?? 0)]),
        gatewayCpuPct: summarize(runs.map((r) => r.gatewayCpuPct)),
        gatewayEldP99Ms: summarize(runs.map((r) => r.gatewayEldP99Ms)),
      };
    };
    const runScenario = async (
      name: string,
      key: GwKey,
      mode: 'shared' | 'distinct',
      n: number,
      keepOpen = false,
    ): Promise<{ scenario: Scenario; session?: LiveSession }> => {
      const gw = gateways[key]!;
      const scenario: Scenario = { name, gateway: key, mode, subscribers: n, ready: false, runs: [] };
      if (SCENARIOS && !SCENARIOS.test(name)) return { scenario };
      scenarios.push(scenario);
      const cid = await liveChannel(prisma, name);
      const pipelinesBefore = key === 'ours' ? (await gw.call('hub')).pipelines : 0;
      const session = await openLiveSession(liveDeps, { group: name, gatewayUrl: gw.info.url, gateway: gw, channelId: cid, tokens: await tokensFor(mode, n, name), probeTimeoutMs: 20_000 + 10 * n });
      Object.assign(scenario, { ready: session.ready, note: session.notReadyReason ?? (session.connectErrors.length ? `connect errors: ${session.connectErrors.join('; ')}` : undefined), connectMs: session.connectMs, probes: session.probes });
      if (key === 'ours') scenario.pipelines = (await gw.call('hub')).pipelines - pipelinesBefore;
      // Not caught up after the probes (an overloaded pipeline set): time it anyway, behind its backlog.
      if (session.measurable) {
        for (let r = 0; r < P.s1Runs; r++) {
          scenario.runs.push(await session.measure({ rate: S1_RATE, seconds: P.s1Seconds, drainMs: 3000, tag: `${name}-` }));
          // Two runs that lost most of their events are enough to tell: the time goes to the rest.
          if (r >= 1 && scenario.runs.every((x) => x.deliveredRatio < 0.5)) {
            scenario.note = `${scenario.note ? `${scenario.note}; ` : ''}stopped after ${r + 1} runs: under half delivered`;
            break;
          }
        }
        scenario.summary = summarizeRuns(scenario.runs);
      }
      log(`S1 ${name}: ${session.sockets} sockets, ready=${session.ready}${scenario.note ? ` (${scenario.note})` : ''}` +
        (scenario.summary ? `, p99 ${(scenario.summary.p99Ms as Summary).median.toFixed(1)} ms, delivered ${((scenario.summary.deliveredRatio as number) * 100).toFixed(2)}%` : ''));
      // S2 climbs from a rate the pipelines kept up with; from a collapsed one there is nothing to climb.
      if (keepOpen && session.ready && scenario.summary && (scenario.summary.deliveredRatio as number) >= 0.99) return { scenario, session };
      if (keepOpen) scenario.note = `${scenario.note ? `${scenario.note}; ` : ''}no S2 ladder: 10/s was not delivered in full`;
      await session.close();
      await Promise.all([settle(gw), settle(subgraphs)]);
      return { scenario };
    };

    const s2: Record<string, any> = {};
    const ladder = async (key: GwKey, session: LiveSession, baselineP99: number, rates: number[], sockets: number) => {
      const steps: Array<LiveRun & { deliveriesPerSec: number }> = [];
      for (const rate of rates) {
        const r = await session.measure({ rate, seconds: P.s1Seconds, drainMs: 3000, tag: `s2-${key}-${rate}-` });
        steps.push({ ...r, deliveriesPerSec: (r.received / r.events) * rate });
        log(`S2 ${key} ${sockets} x ${rate}/s: p99 ${r.p99Ms.toFixed(1)} ms, delivered ${(r.deliveredRatio * 100).toFixed(1)}%`);
        if (r.p99Ms > 10 * baselineP99 || r.deliveredRatio < 0.95) break;
      }
      const ok = steps.filter((s) => s.p99Ms <= 10 * baselineP99 && s.deliveredRatio >= 0.99);
      return { sockets, baselineP99Ms: baselineP99, steps, ceilingDeliveriesPerSec: ok.length ? Math.max(...ok.map((s) => s.deliveriesPerSec)) : 0 };
    };

    // A live scenario that fails (a crashed probe, a timeout) is recorded as such; the run goes on.
    const attempt = async (name: string, fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (err) {
        log(`S1/S2 ${name} failed: ${(err as Error).message.split('\n')[0]}`);
        const known = scenarios.find((x) => x.name === name);
        if (known) known.note = `${known.note ? `${known.note}; ` : ''}failed: ${(err as Error).message.split('\n')[0].slice(0, 200)}`;
        else scenarios.push({ name, gateway: 'ours', mode: 'shared', subscribers: 0, ready: false, runs: [], note: `failed: ${(err as Error).message.slice(0, 200)}` });
        await subscribers.call('close', { group: name }, 120_000).catch(() => {});
      }
    };
    /** A larger size is not tried once a smaller one of the same kind lost events or went past 250 ms at p99. */
    const coped = (prefix: string) =>
      scenarios
        .filter((x) => x.name.startsWith(prefix))
        .every((x) => x.summary && (x.summary.deliveredRatio as number) >= 0.99 && (x.summary.p99Ms as Summary).median <= 250);
    const skip = (name: string, n: number, why: string) => {
      scenarios.push({ name, gateway: name.startsWith('hive') ? 'hive' : 'ours', mode: name.includes('shared') ? 'shared' : 'distinct', subscribers: n, ready: false, runs: [], note: `not run: ${why}` });
      log(`S1 ${name}: not run (${why})`);
    };
    const sizes = (list: number[], prefix: string) => (want('live') ? list : []).map((n, i) => ({ n, first: i === 0, prefix }));
    for (const { n, first, prefix } of sizes(P.s1Sizes, 'ours-shared-')) {
      if (!first && !coped(prefix)) {
        skip(`${prefix}${n}`, n, 'a smaller run already lost events or passed 250 ms at p99');
        continue;
      }
      await attempt(`${prefix}${n}`, async () => {
        const { scenario, session } = await runScenario(`${prefix}${n}`, 'ours', 'shared', n, P.s2 && n === 1000);
        if (session) {
          try {
            s2.ours = await ladder('ours', session, (scenario.summary!.p99Ms as Summary).median, [20, 50, 100, 200, 400], session.sockets);
          } finally {
            await session.close();
            await Promise.all([settle(gateways.ours!), settle(subgraphs)]);
          }
        }
      });
    }
    for (const { n, first, prefix } of sizes(P.distinctSizes, 'ours-distinct-')) {
      if (!first && !coped(prefix)) {
        skip(`${prefix}${n}`, n, 'a smaller run already lost events or passed 250 ms at p99');
        continue;
      }
      await attempt(`${prefix}${n}`, async () => void (await runScenario(`${prefix}${n}`, 'ours', 'distinct', n)));
    }
    for (const { n, first, prefix } of gateways.hive ? sizes(P.hiveSizes, 'hive-') : []) {
      if (!first && !coped(prefix)) {
        skip(`${prefix}${n}`, n, 'a smaller run already lost events or passed 250 ms at p99');
        continue;
      }
      await attempt(`${prefix}${n}`, async () => {
        const { scenario, session } = await runScenario(`${prefix}${n}`, 'hive', 'distinct', n, P.s2 && n === 100);
        if (session) {
          try {
            s2.hive = await ladder('hive', session, (scenario.summary!.p99Ms as Summary).median, [20, 50, 100, 200], session.sockets);
          } finally {
            await session.close();
            await Promise.all([settle(gateways.hive!), settle(subgraphs)]);
          }
        }
      });
    }

    // S3: idle subscriptions, memory per subscriber, then live latency beside them under churn.
    let s3: Record<string, any> | undefined;
    if (P.s3 && want('s3')) {
      const gw = gateways.ours!;
      const idleChannel = await liveChannel(prisma, 's3-idle');
      await gw.call('gc');
      const m0 = await gw.stats();
      const pipelinesBefore = (await gw.call('hub')).pipelines;
      const url = gw.info.url.replace(/^http/, 'ws');
      const tokens = await tokensFor('shared', S3_SUBSCRIBERS, 's3');
      const half = S3_SUBSCRIBERS / 2;
      const measured = async () => {
        await sleep(S3_SETTLE_MS);
        await gw.call('gc');
        return gw.stats();
      };
      // In two halves, each first the sockets alone (connection_init done, nothing subscribed),
      // then their subscriptions: the second half's cost is what one more subscriber costs, once
      // the process's fixed costs (V8's young generation grown by the burst, pools) are paid.
      const connectHalf = (from: number) =>
        subscribers.call('connect', { group: 's3-idle', url, tokens: tokens.slice(from, from + half), query: s1.query, variables: { channelId: idleChannel }, batch: 200, hold: true }, 600_000);
      const subscribeHeld = async () => {
        await subscribers.call('subscribeHeld', { group: 's3-idle', query: s1.query, variables: { channelId: idleChannel } });
        await sleep(3000);
      };
      const first = await connectHalf(0);
      await sleep(1000);
      const mSockets = await measured();
      await subscribeHeld();
      const mHalf = await measured();
      const second = await connectHalf(half);
      await sleep(1000);
      await subscribeHeld();
      const m1 = await measured();
      const hub = await gw.call('hub');
      const idle = { connected: second.connected, errors: [...first.errors, ...second.errors], ms: first.ms + second.ms };
      const perFirstHalf = (a: number, b: number) => (b - a) / 1024 / Math.max(1, first.connected);
      const perSecondHalf = (a: number, b: number) => (b - a) / 1024 / Math.max(1, second.connected - first.connected);
      // RSS without V8's young generation, which V8 grows during a burst of connections and
      // shrinks again when idle (whole megabytes either way, whatever the subscribers hold).
      const settled = (m: typeof m0) => m.rss - m.youngResident;
      const readings = [m0, mSockets, mHalf, m1];
      s3 = {
        idleSockets: idle.connected,
        connectErrors: idle.errors,
        connectMs: Math.round(idle.ms),
        pipelines: hub.pipelines - pipelinesBefore,
        settleMs: S3_SETTLE_MS,
        heapPerSubscriberKB: (m1.heapUsed - m0.heapUsed) / 1024 / Math.max(1, idle.connected),
        heapPerSocketKB: perFirstHalf(m0.heapUsed, mSockets.heapUsed),
        heapPerSubscriptionKB: perFirstHalf(mSockets.heapUsed, mHalf.heapUsed),
        heapMarginalKB: perSecondHalf(mHalf.heapUsed, m1.heapUsed),
        rssPerSubscriberKB: (settled(m1) - settled(m0)) / 1024 / Math.max(1, idle.connected),
        rssPerSocketKB: perFirstHalf(settled(m0), settled(mSockets)),
        rssMarginalKB: perSecondHalf(settled(mHalf), settled(m1)),
        heapMB: readings.map((m) => m.heapUsed / 2 ** 20),
        rssMB: readings.map((m) => m.rss / 2 ** 20),
        youngMB: readings.map((m) => m.youngResident / 2 ** 20),
      };
      log(`S3: ${idle.connected} idle, heap ${s3.heapPerSubscriberKB.toFixed(2)} KB and RSS ${s3.rssPerSubscriberKB.toFixed(2)} KB per subscriber; the second half ${s3.heapMarginalKB.toFixed(2)} KB heap and ${s3.rssMarginalKB.toFixed(2)} KB RSS each`);
      const { session } = await runScenario('s3-live-1000-beside-idle', 'ours', 'shared', 1000, true);
      if (session) {
        const runs: LiveRun[] = [];
        for (let r = 0; r < P.s1Runs; r++) {
          const churn = subscribers.call('churn', { group: 's3-idle', query: s1.query, variables: { channelId: idleChannel }, perSecond: 100, durationMs: P.s1Seconds * 1000 }, 60_000);
          runs.push(await session.measure({ rate: S1_RATE, seconds: P.s1Seconds, drainMs: 3000, tag: 's3-churn-' }));
          await churn;
        }
        s3.withChurn = summarizeRuns(runs);
        s3.withChurnRuns = runs;
        await session.close();
      }
      await subscribers.call('close', { group: 's3-idle' }, 120_000);
      await settle(gw);
    }

    // ------------------------------------------------------------------ profiles of our gateway
    const profiles: Record<string, ProfileSummary> = {};
    if (P.profile && want('profile')) {
      const dir = path.join(ROOT, 'bench', '.profiles');
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      // A fresh gateway, warmed up first, then profiled over the measured window only.
      for (const what of ['q1', 'q2', 's1'] as const) {
        const gw = await startProc<{ url: string }>(`gw-prof-${what}`, 'gateway.ts', { env: gwEnv, args: ['ours'], execArgv: ourFlags.gateway });
        const file = path.join(dir, `${what}-gateway.cpuprofile`);
        const subgraphsFile = path.join(dir, `${what}-subgraphs.cpuprofile`);
        try {
          if (what !== 's1') {
            const target = { ...viaGateway('ours', what === 'q1' ? q1Body : q2Body(50), 'prof'), url: gw.info.url };
            await throughput(target, P.connections, 3);
            await Promise.all([gw.call('profileStart'), subgraphs.call('profileStart')]);
            await throughput(target, P.connections, PROFILE_S);
            await Promise.all([gw.call('profileStop', file), subgraphs.call('profileStop', subgraphsFile)]);
          } else {
            const cid = await liveChannel(prisma, 'profile-s1');
            const session = await openLiveSession(liveDeps, { group: 'profile', gatewayUrl: gw.info.url, gateway: gw, channelId: cid, tokens: await tokensFor('shared', 1000, 'prof'), probeTimeoutMs: 30_000 });
            if (session.ready) {
              await session.measure({ rate: 20, seconds: 2, drainMs: 2000, tag: 'prof-warm-' });
              await Promise.all([gw.call('profileStart'), subgraphs.call('profileStart')]);
              await session.measure({ rate: 50, seconds: PROFILE_S, drainMs: 3000, tag: 'prof-' });
              await Promise.all([gw.call('profileStop', file), subgraphs.call('profileStop', subgraphsFile)]);
            }
            await session.close();
          }
        } finally {
          await gw.stop(30_000);
        }
        if (existsSync(file)) profiles[`${what}, gateway`] = summarizeProfile(file);
        if (existsSync(subgraphsFile)) profiles[`${what}, subgraphs`] = summarizeProfile(subgraphsFile);
      }
      log('profiles written to bench/.profiles/');
    }

    // ------------------------------------------------------------------ summaries and the report
    const byName = (name: string) => windows[name] ?? [];
    const perRound = (a: string, b: string, f: (w: WindowResult) => number = (w) => w.rps) =>
      summarize(byName(a).map((w, i) => (byName(b)[i] ? f(w) / f(byName(b)[i]) : NaN)));
    const http = Object.fromEntries(
      workloads.map((w) => {
        const ws = windows[w.name];
        const s = (f: (x: WindowResult) => number | undefined) => (ws.some((x) => f(x) !== undefined) ? summarize(ws.map((x) => f(x) ?? NaN)) : undefined);
        return [
          w.name,
          {
            label: w.label,
            group: w.group,
            rps: s((x) => x.rps),
            p50Ms: s((x) => x.p50Ms),
            p99Ms: s((x) => x.p99Ms),
            errors: ws.reduce((a, x) => a + x.errors, 0),
            gatewayCpuMsPerReq: s((x) => x.gatewayCpuMsPerReq),
            gatewayEldP99Ms: s((x) => x.gatewayEldP99Ms),
            subgraphCpuMsPerReq: s((x) => x.subgraphCpuMsPerReq),
            postgresCpuMsPerReq: s((x) => x.postgresCpuMsPerReq),
            redisCpuMsPerReq: s((x) => x.redisCpuMsPerReq),
            loadCpuMsPerReq: s((x) => x.loadCpuMsPerReq),
            fetchesPerReq: s((x) => x.fetchesPerReq),
            representationsPerReq: s((x) => x.representationsPerReq),
            subgraphRequestsPerReq: s((x) => x.subgraphRequestsPerReq),
            extra: ws[0]?.extra ? Object.fromEntries(Object.keys(ws[0].extra).map((k) => [k, summarize(ws.map((x) => x.extra![k]))])) : undefined,
          },
        ];
      }),
    );
    const ratios: Record<string, Summary> = {
      'Q1 ours / direct': perRound('q1-ours', 'q1-direct'),
      'Q1 direct / L0 pg lookup': perRound('q1-direct', 'l0-pg'),
      'L0 Apollo typename / hello': perRound('l0-apollo', 'l0-hello'),
      'P1 Prisma / raw pg': perRound('p1-prisma', 'p1-pg'),
      'P1 Prisma $queryRaw / raw pg': perRound('p1-prisma-raw', 'p1-pg'),
    };
    if (gateways.apollo) {
      ratios['Q1 stock Apollo / direct'] = perRound('q1-apollo', 'q1-direct');
      ratios['Q2 ours / stock Apollo (req/s)'] = perRound('q2-ours', 'q2-apollo');
      ratios['Q2 stock Apollo / ours (gateway CPU per request)'] = perRound('q2-apollo', 'q2-ours', (w) => w.gatewayCpuMsPerReq ?? NaN);
    }
    if (gateways.hive) {
      ratios['Q1 Hive / direct'] = perRound('q1-hive', 'q1-direct');
      ratios['Q2 ours / Hive (req/s)'] = perRound('q2-ours', 'q2-hive');
      ratios['Q2 Hive / ours (gateway CPU per request)'] = perRound('q2-hive', 'q2-ours', (w) => w.gatewayCpuMsPerReq ?? NaN);
    }
    // A BENCH_WORKLOADS run may have measured either side alone: nothing added then.
    const addedUs = summarize(latency.ours && latency.direct ? latency.ours.map((v, i) => v - latency.direct[i]) : []);
    const result = {
      meta: {
        date: new Date().toISOString(),
        commit: checkoutCommit(),
        command: `${QUICK ? 'BENCH_QUICK=1 ' : ''}${ONLY.size ? `BENCH_ONLY=${[...ONLY].join(',')} ` : ''}npm run bench`,
        node: process.version,
        platform: `${os.type()} ${os.release()} ${os.arch()}`,
        cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? '?'}`,
        memoryGB: Math.round(os.totalmem() / 2 ** 30),
        loadAverageAtStart: loadStart.map((l) => round(l)),
        loadAverageAtEnd: os.loadavg().map((l) => round(l)),
        quick: QUICK,
        q3Reps: Q3_REPS,
        ourNodeFlags: ourFlags,
        rounds: P.rounds,
        windowSeconds: P.windowS,
        warmupSeconds: P.warmS,
        connections: P.connections,
        durationSeconds: Math.round((performance.now() - t0) / 1000),
        gatewayEnv: GATEWAY_ENV,
        q2CostAtDefault,
        profileSeconds: PROFILE_S,
        s1Runs: P.s1Runs,
        s1Seconds: P.s1Seconds,
        processes: procs.map((p) => ({ name: p.name, pid: p.pid })),
      },
      unavailable,
      operations: { q1: q1.query, q2: q2.query, q2Dropped: q2.dropped, q2Failing, w1: w1.query, s1: s1.query, s1Dropped: s1.dropped, q2PagesIdenticalToOurs: q2Same },
      http,
      ratios,
      q1Latency: { p50Us: Object.fromEntries(Object.entries(latency).map(([k, v]) => [k, summarize(v)])), addedP50UsOurs: addedUs },
      p1: { paced },
      q3: { ours: q3, at50: q3Peers, sqlLog },
      s1: scenarios,
      s2,
      s3,
      profiles,
    };
    if (WORKLOADS) return log('BENCH_WORKLOADS is set: no report written');
    mkdirSync(path.join(ROOT, 'docs'), { recursive: true });
    writeFileSync(path.join(ROOT, 'docs', 'benchmarks.json'), JSON.stringify(result, (_k, v) => (typeof v === 'number' ? round(v, 4) : v), 2) + '\n');
    writeFileSync(path.join(ROOT, 'docs', 'BENCHMARKS.md'), writeReport(result));
    log(`wrote docs/BENCHMARKS.md and docs/benchmarks.json in ${result.meta.durationSeconds}s`);
  } finally {
    await cleanup();
  }
}

/** Deletes every Redis key under the run's prefix (SCAN, bounded batches). */
async function dropRedisPrefix(prefix: string) {
  const redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    for (let i = 0; i < 10_000; i++) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    redis.disconnect();
  }
}

/** BENCH_RENDER=1: only re-render docs/BENCHMARKS.md from docs/benchmarks.json (e.g. after editing bench/findings.md). */
async function render() {
  const result = JSON.parse(readFileSync(path.join(ROOT, 'docs', 'benchmarks.json'), 'utf8'));
  writeFileSync(path.join(ROOT, 'docs', 'BENCHMARKS.md'), writeReport(result));
  console.log(`re-rendered docs/BENCHMARKS.md from the run of ${result.meta.date}`);
}

(process.env.BENCH_RENDER === '1' ? render() : main()).then(
  () => process.exit(0),
  (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    killAllChildren();
    process.exit(1);
  },
);
