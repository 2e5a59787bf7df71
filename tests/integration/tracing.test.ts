// OpenTelemetry traces across real processes: the gateway and two subgraphs, started exactly as
// `npm run start:<service>` starts them (tracing hooks `require`, which jest's module registry
// bypasses), export to a small OTLP/HTTP (JSON) receiver that this file runs.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from '../testkit/database';
import { gatewayClient, person, TEST_JWT_SECRET } from '../testkit/stack';
import { TEST_GATEWAY_SECRET } from '../testkit/subgraph';

const ROOT = path.resolve(__dirname, '../..');
const scripts: Record<string, string> = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts;

/** Node's arguments in `npm run <script>` (`node <args...>`), so the test runs what production runs. */
function nodeArgs(script: string): string[] {
  const [node, ...args] = scripts[script].split(/\s+/);
  expect(node).toBe('node');
  return args;
}

const SERVER = 2;
const CLIENT = 3;

interface Span {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

type OtlpAttribute = { key: string; value: Record<string, unknown> };
const attributesOf = (list: OtlpAttribute[] = []) =>
  Object.fromEntries(list.map(({ key, value }) => [key, Object.values(value)[0]]));

/** An OTLP/HTTP receiver of JSON trace exports that keeps every span; `mode` makes it misbehave. */
async function startReceiver() {
  const spans: Span[] = [];
  let mode: 'ok' | 'hang' | 'reset' = 'ok';
  let wake = () => {};
  const hanging = new Set<ServerResponse>();
  const server = createServer((req: IncomingMessage, res) => {
    if (mode === 'reset') return void req.socket.destroy();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (mode === 'hang') return void hanging.add(res);
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return void res.writeHead(400).end(); // not OTLP/JSON: the spans never arrive, and the wait says so
      }
      for (const rs of body.resourceSpans ?? []) {
        const service = String(attributesOf(rs.resource?.attributes)['service.name']);
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({ service, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId || undefined, name: s.name, kind: s.kind, attributes: attributesOf(s.attributes) });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    set(next: typeof mode) {
      mode = next;
      if (next !== 'hang') for (const res of hanging) res.destroy();
    },
    /** Waits (bounded) until `done(spans of the trace)` holds, and returns those spans. */
    async trace(traceId: string, done: (spans: Span[]) => boolean, timeoutMs = 30_000): Promise<Span[]> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = spans.filter((s) => s.traceId === traceId);
        if (done(found)) return found;
        if (Date.now() > deadline) {
          throw new Error(`Timed out waiting for trace ${traceId}; it has:\n${found.map((s) => `${s.service} ${s.name} kind=${s.kind} ${s.spanId}<-${s.parentSpanId}`).join('\n')}`);
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 100);
        });
      }
    },
    close: () => new Promise<void>((resolve) => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** One service as `npm run <script>` starts it; resolves with the URL it logs once it listens. */
function startService(script: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, nodeArgs(script), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start in time:\n${output}`)), 90_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n').slice(0, -1)) {
        if (!line.startsWith('{')) continue;
        const url = (JSON.parse(line) as { url?: string }).url;
        if (url) {
          clearTimeout(timer);
          resolve({ child, url, output: () => output });
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before it listened:\n${output}`)));
  });
}

/** The process environment without any OTEL_* a developer may have set, plus `extra`. */
function environment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
  return { ...env, ...extra };
}

const children: ChildProcess[] = [];
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let db: TestDatabase;
let api: ReturnType<typeof gatewayClient>;
let outputs: Array<() => string> = [];

beforeAll(async () => {
  receiver = await startReceiver();
  db = await createTestDatabase('tracing');
  const env = environment({
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    JWT_SECRET: TEST_JWT_SECRET,
    GATEWAY_SECRET: TEST_GATEWAY_SECRET,
    GATEWAY_HOST: '127.0.0.1',
    SUBGRAPH_HOST: '127.0.0.1',
    GATEWAY_PORT: '0',
    CHANNEL_PORT: '0',
    MESSAGE_PORT: '0',
    // Not started: nothing this file asks touches them, and nothing else may answer for them.
    VOICE_URL: 'http://127.0.0.1:1/graphql',
    BOARD_URL: 'http://127.0.0.1:1/graphql',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });
  const [channel, message] = await Promise.all([startService('start:channel', env), startService('start:message', env)]);
  const gateway = await startService('start:gateway', { ...env, CHANNEL_URL: channel.url, MESSAGE_URL: message.url });
  outputs = [channel.output, message.output, gateway.output];
  api = gatewayClient(gateway.url);
}, 180_000);

afterAll(async () => {
  await Promise.all(
    children.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve).kill('SIGTERM')) : undefined)),
  );
  await receiver?.close();
  await db?.drop();
});

/** A W3C traceparent of the test's own: the trace id to look for, and the span the gateway's must hang under. */
function traceparent() {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, header: `00-${traceId}-${spanId}-01` };
}

const PAGE = `query TracedPage($id: ID!) { channel(id: $id) { name messages(last: 5) { edges { node { body author { displayName } } } } } }`;

async function setUpChannel() {
  const alice = await person('Alice');
  const { createChannel } = await api.expectData(alice, `mutation { createChannel(input: { name: "traced", kind: TEXT }) { id } }`);
  await api.expectData(alice, `mutation($id: ID!) { sendMessage(input: { channelId: $id, body: "hello" }) { id } }`, { id: createChannel.id });
  return { alice, channelId: createChannel.id as string };
}

const isDb = (s: Span) => s.attributes['db.system'] === 'postgresql' || s.attributes['db.system.name'] === 'postgresql';

it('follows one query from the gateway through two subgraphs to the database, in one trace', async () => {
  const { alice, channelId } = await setUpChannel();
  const trace = traceparent();
  const res = await api.request(alice, PAGE, { id: channelId }, { traceparent: trace.header });
  expect(res.errors).toBeUndefined();
  expect(res.data.channel.messages.edges[0].node).toEqual({ body: 'hello', author: { displayName: 'Alice' } });

  const byId = new Map<string, Span>();
  const ancestors = (span: Span): Span[] => {
    const chain: Span[] = [];
    for (let p = span.parentSpanId && byId.get(span.parentSpanId); p; p = p.parentSpanId && byId.get(p.parentSpanId)) chain.push(p);
    return chain;
  };
  /** A subgraph's server span whose parent is the gateway's client span, with a database span under it. */
  const subgraphSpans = (service: string) => {
    const servers = [...byId.values()].filter((s) => s.service === service && s.kind === SERVER && byId.get(s.parentSpanId ?? '')?.service === 'gateway');
    const queries = [...byId.values()].filter((s) => s.service === service && isDb(s) && ancestors(s).some((a) => servers.includes(a)));
    return { servers, queries };
  };
  const spans = await receiver.trace(trace.traceId, (found) => {
    byId.clear();
    for (const s of found) byId.set(s.spanId, s);
    // The gateway's own spans end (and are exported) after the subgraphs' answers: wait for them too.
    const gatewayNames = new Set(found.filter((s) => s.service === 'gateway').map((s) => (s.kind === SERVER ? 'server' : s.name)));
    return (
      ['server', 'gateway.request', 'gateway.execute', 'gateway.fetch'].every((name) => gatewayNames.has(name)) &&
      ['channel', 'message'].every((service) => subgraphSpans(service).queries.length > 0)
    );
  });

  // The gateway continued the caller's trace: its server span hangs under the caller's span.
  const gatewayServer = spans.find((s) => s.service === 'gateway' && s.kind === SERVER);
  expect(gatewayServer).toMatchObject({ parentSpanId: trace.spanId, attributes: { 'http.route': '/graphql' } });
  // @apollo/gateway's own spans joined it, under the server span.
  const names = new Set(spans.filter((s) => s.service === 'gateway').map((s) => s.name));
  expect([...names]).toEqual(expect.arrayContaining(['gateway.request', 'gateway.execute', 'gateway.fetch']));
  const request = spans.find((s) => s.name === 'gateway.request')!;
  expect(ancestors(request)).toContain(gatewayServer);

  for (const service of ['channel', 'message']) {
    const { servers, queries } = subgraphSpans(service);
    for (const server of servers) {
      // Across the process boundary: the subgraph's request is the child of the gateway's
      // undici client span, itself under the gateway.fetch span of that subgraph.
      const client = byId.get(server.parentSpanId!)!;
      expect(client).toMatchObject({ service: 'gateway', kind: CLIENT });
      expect(ancestors(client).map((s) => s.name)).toContain('gateway.fetch');
      expect(ancestors(client)).toContain(gatewayServer);
    }
    expect(queries[0].kind).toBe(CLIENT);
  }

  // Redis commands (here sendMessage's rate limit, through ioredis) join the trace too.
  const write = traceparent();
  const sent = await api.request(alice, `mutation($id: ID!) { sendMessage(input: { channelId: $id, body: "again" }) { id } }`, { id: channelId }, { traceparent: write.header });
  expect(sent.errors).toBeUndefined();
  await receiver.trace(write.traceId, (found) => found.some((s) => s.service === 'message' && (s.attributes['db.system'] === 'redis' || s.attributes['db.system.name'] === 'redis')));
}, 90_000);

it('keeps answering, at full speed, while the collector hangs or drops connections, and exports again after', async () => {
  const { alice, channelId } = await setUpChannel();
  for (const mode of ['hang', 'reset'] as const) {
    receiver.set(mode);
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      const res = await api.request(alice, PAGE, { id: channelId });
      expect(res.errors).toBeUndefined();
      // An export in the request's path would wait for the exporter's 10 s timeout.
      expect(Date.now() - started).toBeLessThan(5000);
      await new Promise((r) => setTimeout(r, 150)); // lets a batch go out (and fail) between requests
    }
  }
  receiver.set('ok');
  const trace = traceparent();
  expect((await api.request(alice, PAGE, { id: channelId }, { traceparent: trace.header })).errors).toBeUndefined();
  // Both subgraphs' spans come through again (a warm page costs the message subgraph no SQL: its
  // access row comes with the channel subgraph's grant and its page from the cache).
  await receiver.trace(trace.traceId, (found) => found.some((s) => s.service === 'message' && s.kind === SERVER) && found.some((s) => s.service === 'channel' && isDb(s)), 45_000);
  expect(children.every((c) => c.exitCode === null)).toBe(true);
  expect(outputs.map((o) => o()).join('')).not.toMatch(/Unhandled|uncaught/i);
}, 90_000);

it('loads no OpenTelemetry SDK when no OTLP endpoint is set', () => {
  const preload = nodeArgs('start:gateway').slice(0, -1);
  const loaded = (extra: Record<string, string>) => {
    const probe = `console.log(JSON.stringify(Object.keys(require.cache).filter((f) => /@opentelemetry[\\\\/](sdk-|instrumentation|exporter-)/.test(f))))`;
    const run = spawnSync(process.execPath, [...preload, '-e', probe], { cwd: ROOT, env: environment(extra), encoding: 'utf8' });
    expect(run.status).toBe(0);
    return JSON.parse(run.stdout.trim().split('\n').pop()!) as string[];
  };
  expect(loaded({})).toEqual([]);
  expect(loaded({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1', OTEL_SDK_DISABLED: 'true' })).toEqual([]);
  // The probe does see the SDK when it is on.
  expect(loaded({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' }).some((f) => f.includes('sdk-node'))).toBe(true);
}, 60_000);
