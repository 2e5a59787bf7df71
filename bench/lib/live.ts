// S1/S2/S3: live latency through a gateway. Events are real message events as the message
// subgraph publishes them (the payload of a real send is captured from Redis and cloned), each
// stamped with its scheduled time and PUBLISHed on a fixed timetable straight to the channel's
// topic, so a late publisher counts against the latency (no coordinated omission). Clients in
// the subscribers process record stamp -> arrival.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { topics } from '@commons/shared';
import type Redis from 'ioredis';
import type { Proc } from './proc';

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export interface LiveDeps {
  subscribers: Proc;
  publisher: Redis;
  /** A subscriber-mode Redis connection, to capture what a real send publishes. */
  listener: Redis;
  prefix: string;
  /** Sends a real message (through our gateway) as the channel's owner; resolves when stored. */
  sendProbe: (channelId: string, body: string) => Promise<void>;
  subscriptionQuery: string;
}

export interface LiveRun {
  run: string;
  rate: number;
  events: number;
  expected: number;
  received: number;
  deliveredRatio: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  duplicates: number;
  errors: number;
  endedSockets: number;
  gatewayCpuPct: number;
  gatewayEldP99Ms: number;
  publishLagMaxMs: number;
}

/** An open group of subscribed sockets on one channel, proven live by probes, ready to time. */
export interface LiveSession {
  group: string;
  channelId: string;
  sockets: number;
  connectMs: number;
  connectErrors: string[];
  probes: number;
  /** Every live socket saw the latest probe: every pipeline is caught up. */
  ready: boolean;
  /** The event template was captured: timed runs are possible (when not `ready`, behind a backlog). */
  measurable: boolean;
  notReadyReason?: string;
  measure(opts: { rate: number; seconds: number; drainMs: number; tag: string }): Promise<LiveRun>;
  close(): Promise<void>;
}

/** Finds the object carrying the message's `seq` in a published payload (top level or one down). */
function messageOf(payload: Record<string, unknown>): Record<string, unknown> | undefined {
  if ('seq' in payload) return payload;
  for (const v of Object.values(payload)) if (v && typeof v === 'object' && 'seq' in (v as object)) return v as Record<string, unknown>;
  return undefined;
}

export async function openLiveSession(
  deps: LiveDeps,
  opts: { group: string; gatewayUrl: string; gateway: Proc; channelId: string; tokens: string[]; probeTimeoutMs: number },
): Promise<LiveSession> {
  const topic = deps.prefix + topics.messageAdded(opts.channelId);
  let template: { payload: Record<string, unknown>; body: string } | undefined;
  const onMessage = (channel: string, message: string) => {
    if (channel !== topic) return;
    const payload = JSON.parse(message) as Record<string, unknown>;
    const m = messageOf(payload);
    if (m && typeof m.body === 'string') template = { payload, body: m.body };
  };
  deps.listener.on('message', onMessage);
  await deps.listener.subscribe(topic);

  const wsUrl = opts.gatewayUrl.replace(/^http/, 'ws');
  const connect = await deps.subscribers.call<{ connected: number; failed: number; errors: string[]; ms: number }>(
    'connect',
    { group: opts.group, url: wsUrl, tokens: opts.tokens, query: deps.subscriptionQuery, variables: { channelId: opts.channelId }, batch: 100 },
    600_000,
  );

  // Probes: real sends until every socket has seen the latest, so every pipeline (upstream
  // subscription included) is live and at the same place in the channel's sequence.
  let probes = 0;
  let probeFailures = 0;
  let ready = false;
  let notReadyReason: string | undefined;
  const started = now();
  const deadline = started + opts.probeTimeoutMs;
  while (connect.connected > 0 && now() < deadline) {
    probes++;
    try {
      await deps.sendProbe(opts.channelId, `probe:${probes}`);
    } catch (err) {
      probeFailures++;
      notReadyReason = `probe ${probes} failed: ${(err as Error).message.slice(0, 160)}`;
      await sleep(500);
      continue;
    }
    const waitUntil = Math.min(deadline, now() + 3000);
    let state: { seen: number; live: number; total: number; ended?: string };
    do {
      await sleep(150);
      state = await deps.subscribers.call('probes', { group: opts.group, n: probes });
    } while (state.seen < state.live && now() < waitUntil);
    if (state.live === 0) {
      notReadyReason = `every socket ended: ${state.ended}`;
      break;
    }
    if (state.seen === state.live && template?.body === `probe:${probes}`) {
      ready = true;
      notReadyReason = undefined;
      if (state.live < connect.connected) notReadyReason = `${connect.connected - state.live} sockets ended: ${state.ended}`;
      break;
    }
    notReadyReason = `${state.live - state.seen} of ${state.live} sockets had not seen probe ${probes} after ${Math.round((now() - started) / 1000)} s`;
  }
  if (connect.connected === 0) notReadyReason = `no socket connected: ${connect.errors.join('; ')}`;

  // Frozen now: later messages on the topic (ours included) must not replace the template.
  deps.listener.off('message', onMessage);
  const frozen = template;
  const base = frozen ? messageOf(frozen.payload) : undefined;
  const nested = frozen && base && base !== frozen.payload ? Object.entries(frozen.payload).find(([, v]) => v === base)?.[0] : undefined;
  let seq = base ? BigInt(String(base.seq)) : 0n;
  let runs = 0;

  return {
    group: opts.group,
    channelId: opts.channelId,
    sockets: connect.connected,
    connectMs: Math.round(connect.ms),
    connectErrors: connect.errors,
    probes,
    ready,
    measurable: Boolean(frozen && base && connect.connected > 0),
    notReadyReason,
    async measure({ rate, seconds, drainMs, tag }) {
      if (!frozen || !base) throw new Error('no event template: the probes never published');
      const run = `${tag}${++runs}`;
      const sockets = (await deps.subscribers.call<{ sockets: number; ended: number }>('report', { group: opts.group })).sockets;
      await deps.subscribers.call('arm', { group: opts.group, run });
      await opts.gateway.call('resetEld');
      const before = await opts.gateway.stats();
      const events = Math.max(1, Math.round(rate * seconds));
      const expected = events * sockets;
      const t0 = now() + 50;
      let lagMax = 0;
      for (let i = 0; i < events; i++) {
        const scheduled = t0 + (i * 1000) / rate;
        const wait = scheduled - now();
        if (wait > 1) await sleep(wait - 0.5);
        while (now() < scheduled) {
          // spin the last half millisecond: the timetable is the point
        }
        lagMax = Math.max(lagMax, now() - scheduled);
        seq++;
        const message = { ...base, id: randomUUID(), seq: typeof base.seq === 'number' ? Number(seq) : String(seq), body: `t:${run}:${i}:${scheduled.toFixed(3)}`, createdAt: new Date().toISOString() };
        const payload = nested ? { ...frozen.payload, [nested]: message } : message;
        void deps.publisher.publish(topic, JSON.stringify(payload));
      }
      const lastAt = now();
      let report = await deps.subscribers.call('report', { group: opts.group });
      while (report.received < expected && now() - lastAt < drainMs) {
        await sleep(100);
        report = await deps.subscribers.call('report', { group: opts.group });
      }
      const after = await opts.gateway.stats();
      const wallS = (now() - t0) / 1000;
      // Percentiles of nothing are not 0: a run that delivered nothing has none.
      const pct = (v: number) => (report.received > 0 ? v : NaN);
      return {
        run,
        rate,
        events,
        expected,
        received: report.received,
        deliveredRatio: expected ? report.received / expected : 0,
        p50Ms: pct(report.p50Ms),
        p99Ms: pct(report.p99Ms),
        p999Ms: pct(report.p999Ms),
        maxMs: pct(report.maxMs),
        duplicates: report.duplicates,
        errors: report.errors,
        endedSockets: report.ended,
        gatewayCpuPct: ((after.cpuUserUs + after.cpuSystemUs - before.cpuUserUs - before.cpuSystemUs) / 1e4) / wallS,
        gatewayEldP99Ms: after.eld.p99,
        publishLagMaxMs: lagMax,
      };
    },
    async close() {
      await deps.listener.unsubscribe(topic).catch(() => {});
      await deps.subscribers.call('close', { group: opts.group }, 120_000);
    },
  };
}

/** Waits (bounded) until a process is nearly idle, so one scenario's backlog does not leak into the next. */
export async function settle(proc: Proc, maxMs = 15_000, busyPct = 15): Promise<number> {
  const start = now();
  let last = await proc.stats();
  while (now() - start < maxMs) {
    await sleep(500);
    const s = await proc.stats();
    const pct = ((s.cpuUserUs + s.cpuSystemUs - last.cpuUserUs - last.cpuSystemUs) / 1e4) / 0.5;
    last = s;
    if (pct < busyPct) break;
  }
  return Math.round(now() - start);
}
