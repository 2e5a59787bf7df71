// Bench child: many graphql-ws clients (protocol graphql-transport-ws over `ws`), each one
// socket with one subscription, recording for every stamped event the delay from its stamp to
// its arrival in an HDR histogram. Message bodies carry the stamp: `t:<run>:<index>:<epoch ms>`;
// probes (real sends that prove a pipeline is live) carry `probe:<n>`. For speed the body is read
// straight out of the frame text; anything that is not a plain `next` is parsed as JSON.
import { performance } from 'node:perf_hooks';
import { build, type Histogram } from 'hdr-histogram-js';
import WebSocket from 'ws';
import { serveChild } from '../lib/child';

const now = () => performance.timeOrigin + performance.now();
const newHistogram = () => build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });

interface Sub {
  ws: WebSocket;
  group: string;
  subscribed: boolean;
  ended?: string;
  lastProbe: number;
  run: string;
  received: number;
  lastIndex: number;
  duplicates: number;
  errors: number;
}

interface Group {
  subs: Sub[];
  run: string;
  histogram: Histogram;
  pooled: Histogram;
  received: number;
}

const groups = new Map<string, Group>();
const BODY = '"body":"';

function onFrame(sub: Sub, group: Group, text: string) {
  if (text.includes('"type":"next"')) {
    const at = text.indexOf(BODY);
    if (at >= 0 && !text.includes('"errors"')) {
      const body = text.slice(at + BODY.length, text.indexOf('"', at + BODY.length));
      if (body.startsWith('t:')) {
        const [, run, index, stamp] = body.split(':');
        if (run !== group.run) return;
        const i = Number(index);
        if (i <= sub.lastIndex) sub.duplicates++;
        sub.lastIndex = i;
        sub.received++;
        group.received++;
        const delayUs = Math.max(1, Math.round((now() - Number(stamp)) * 1000));
        group.histogram.recordValue(delayUs);
        group.pooled.recordValue(delayUs);
        return;
      }
      if (body.startsWith('probe:')) {
        sub.lastProbe = Math.max(sub.lastProbe, Number(body.slice(6)));
        return;
      }
    }
    sub.errors++;
    return;
  }
  const msg = JSON.parse(text) as { type: string; payload?: unknown };
  if (msg.type === 'ping') sub.ws.send('{"type":"pong"}');
  else if (msg.type === 'error' || msg.type === 'complete') {
    sub.ended = `${msg.type}: ${JSON.stringify(msg.payload ?? null).slice(0, 300)}`;
  }
}

function subscribe(sub: Sub, query: string, variables: unknown) {
  sub.subscribed = true;
  sub.ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
}

/** One socket: connection_init with the token, then (unless `hold`) the subscription. */
function open(group: Group, url: string, token: string, query: string, variables: unknown, timeoutMs: number, hold: boolean): Promise<Sub> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate: false });
    let acked = false;
    const sub: Sub = { ws, group: '', subscribed: false, lastProbe: -1, run: '', received: 0, lastIndex: -1, duplicates: 0, errors: 0 };
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('connect timed out'));
    }, timeoutMs);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    ws.on('message', (data) => {
      const text = data.toString();
      if (!acked) {
        const msg = JSON.parse(text) as { type: string };
        if (msg.type === 'connection_ack') {
          acked = true;
          if (!hold) subscribe(sub, query, variables);
          clearTimeout(timer);
          resolve(sub);
        } else if (msg.type === 'ping') ws.send('{"type":"pong"}');
        return;
      }
      onFrame(sub, group, text);
    });
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      sub.ended ??= `closed ${code} ${reason.toString().slice(0, 200)}`;
      if (!acked) reject(new Error(sub.ended));
    });
    ws.on('error', (err) => {
      sub.ended ??= `socket error ${err.message}`;
    });
  });
}

serveChild(async () => ({
  info: {},
  handlers: {
    /** Opens `tokens.length` sockets (batches of `batch` at a time), each with the subscription. */
    async connect(a: { group: string; url: string; tokens: string[]; query: string; variables: unknown; batch?: number; timeoutMs?: number; hold?: boolean }) {
      let group = groups.get(a.group);
      if (!group) {
        group = { subs: [], run: '', histogram: newHistogram(), pooled: newHistogram(), received: 0 };
        groups.set(a.group, group);
      }
      const errors: string[] = [];
      const batch = a.batch ?? 100;
      const started = performance.now();
      for (let i = 0; i < a.tokens.length; i += batch) {
        const opened = await Promise.allSettled(
          a.tokens.slice(i, i + batch).map((t) => open(group, a.url, t, a.query, a.variables, a.timeoutMs ?? 15_000, a.hold ?? false)),
        );
        for (const o of opened) {
          if (o.status === 'fulfilled') group.subs.push(o.value);
          else if (errors.length < 5) errors.push(String(o.reason?.message ?? o.reason));
          else errors.push('');
        }
      }
      return { connected: group.subs.length, failed: errors.length, errors: errors.filter(Boolean), ms: performance.now() - started };
    },
    /** Subscribes every held (connected, not yet subscribed) socket of the group. */
    subscribeHeld(a: { group: string; query: string; variables: unknown }) {
      const group = groups.get(a.group)!;
      let n = 0;
      for (const s of group.subs) {
        if (!s.subscribed && !s.ended) {
          subscribe(s, a.query, a.variables);
          n++;
        }
      }
      return n;
    },
    /** How many live sockets of the group have seen probe `n` (or a later one). */
    probes(a: { group: string; n: number }) {
      const group = groups.get(a.group);
      if (!group) return { seen: 0, live: 0, total: 0 };
      let seen = 0;
      let live = 0;
      for (const s of group.subs) {
        if (s.ended) continue;
        live++;
        if (s.lastProbe >= a.n) seen++;
      }
      return { seen, live, total: group.subs.length, ended: group.subs.find((s) => s.ended)?.ended };
    },
    /** Starts counting events of run `run` (events of other runs are ignored). */
    arm(a: { group: string; run: string }) {
      const group = groups.get(a.group)!;
      group.run = a.run;
      group.histogram.reset();
      group.received = 0;
      for (const s of group.subs) {
        s.run = a.run;
        s.received = 0;
        s.lastIndex = -1;
        s.duplicates = 0;
        s.errors = 0;
      }
      return true;
    },
    report(a: { group: string; pooled?: boolean }) {
      const group = groups.get(a.group)!;
      const h = a.pooled ? group.pooled : group.histogram;
      let duplicates = 0;
      let errors = 0;
      let ended = 0;
      let minReceived = Infinity;
      for (const s of group.subs) {
        duplicates += s.duplicates;
        errors += s.errors;
        if (s.ended) ended++;
        minReceived = Math.min(minReceived, s.received);
      }
      return {
        received: a.pooled ? h.totalCount : group.received,
        sockets: group.subs.length,
        ended,
        duplicates,
        errors,
        minPerSocket: Number.isFinite(minReceived) ? minReceived : 0,
        p50Ms: h.getValueAtPercentile(50) / 1000,
        p99Ms: h.getValueAtPercentile(99) / 1000,
        p999Ms: h.getValueAtPercentile(99.9) / 1000,
        maxMs: h.maxValue / 1000,
      };
    },
    /** S3's churn: `perSecond` subscribe/complete pairs on the group's sockets, for `durationMs`. */
    async churn(a: { group: string; query: string; variables: unknown; perSecond: number; durationMs: number }) {
      const group = groups.get(a.group)!;
      const live = group.subs.filter((s) => !s.ended);
      if (live.length === 0) return { done: 0 };
      const total = Math.floor((a.perSecond * a.durationMs) / 1000);
      const start = performance.now();
      let done = 0;
      let id = 0;
      while (done < total && performance.now() - start < a.durationMs * 2) {
        const due = Math.min(total, Math.floor(((performance.now() - start) * a.perSecond) / 1000) + 1);
        while (done < due) {
          const s = live[done % live.length];
          const opId = `churn${++id}`;
          s.ws.send(JSON.stringify({ id: opId, type: 'subscribe', payload: { query: a.query, variables: a.variables } }));
          // Unsubscribe a moment later: the subscription is created and torn down.
          setTimeout(() => s.ws.readyState === WebSocket.OPEN && s.ws.send(JSON.stringify({ id: opId, type: 'complete' })), 200);
          done++;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => setTimeout(r, 300));
      return { done, seconds: (performance.now() - start) / 1000 };
    },
    async close(a: { group: string }) {
      const group = groups.get(a.group);
      if (!group) return 0;
      groups.delete(a.group);
      await Promise.all(
        group.subs.map(
          (s) =>
            new Promise<void>((resolve) => {
              if (s.ws.readyState === WebSocket.CLOSED) return resolve();
              const t = setTimeout(() => {
                s.ws.terminate();
                resolve();
              }, 3000);
              s.ws.once('close', () => {
                clearTimeout(t);
                resolve();
              });
              s.ws.close(1000);
            }),
        ),
      );
      return group.subs.length;
    },
  },
  async close() {
    for (const g of groups.values()) for (const s of g.subs) s.ws.terminate();
  },
}));
