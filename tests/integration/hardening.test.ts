import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signClientToken } from '@commons/shared';
import { sha256 } from '@commons/gateway/src/persisted-queries';
import WebSocket from 'ws';
import { person, startStack, TEST_JWT_SECRET, type Stack } from '../testkit/stack';

let stack: Stack;
let alice: Awaited<ReturnType<typeof person>>;
let channelId: string;
let tmp: string;

beforeAll(async () => {
  stack = await startStack('hardening', { env: { MAX_SOCKETS_PER_USER: '3', MAX_SUBSCRIPTIONS_PER_USER: '2' } });
  alice = await person('Alice');
  channelId = (await stack.expectData(alice, `mutation { createChannel(input: { name: "hard", kind: TEXT }) { id } }`)).createChannel.id;
  tmp = await mkdtemp(path.join(tmpdir(), 'commons-hardening-'));
});
afterAll(async () => {
  await stack.closeSockets();
  await stack.close();
  await rm(tmp, { recursive: true, force: true });
});

const deep = (levels: number) => {
  let selection = 'id';
  for (let i = 0; i < levels; i++) selection = `channel { messages(first: 1) { edges { node { ${selection} } } } }`;
  return `query($id: ID!) { message(id: $id) { ${selection} } }`;
};
const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
const directives = (n: number) => `{ me { id ${'@include(if: true) '.repeat(n)} } }`;
const tokens = (n: number) => `{ me { ${'id '.repeat(n)} } }`;

describe('operation limits, the same over HTTP and graphql-ws', () => {
  const cases: Array<[string, string, string]> = [
    ['depth', deep(5), 'GRAPHQL_VALIDATION_FAILED'],
    ['aliases', aliases(16), 'GRAPHQL_VALIDATION_FAILED'],
    ['directives', directives(21), 'GRAPHQL_VALIDATION_FAILED'],
    ['tokens', tokens(3001), 'GRAPHQL_PARSE_FAILED'],
    // Page sizes count, variables included: 3 x 100 channels x 100 members is far over the budget.
    ['cost', `query($n: Int!) { a: channels(first: $n) { edges { node { members(first: $n) { edges { node { user { displayName } } } } } } } b: channels(first: $n) { edges { node { id } } } }`, 'GRAPHQL_VALIDATION_FAILED'],
  ];

  it.each(cases)('refuses too many %s over HTTP', async (_what, query, code) => {
    const res = await stack.request(alice, query, { id: channelId, n: 100 });
    expect(res.data ?? null).toBeNull();
    expect(res.errors?.[0]?.extensions?.code).toBe(code);
  });

  it.each(cases)('refuses too many %s over graphql-ws', async (_what, query, code) => {
    const sub = stack.subscribe(stack.connect(alice), query, { id: channelId, n: 100 });
    const end = await sub.end();
    const errors = (end.error as Array<{ extensions?: { code?: string } }>) ?? sub.results[0]?.errors;
    expect(errors?.[0]?.extensions?.code).toBe(code);
    await stack.closeSockets();
  });

  it('admits ordinary operations within the limits', async () => {
    await stack.expectData(alice, aliases(10));
    await stack.expectData(alice, `query($id: ID!) { channel(id: $id) { members(first: 5) { edges { node { user { displayName } } } } messages(last: 50) { edges { node { body author { displayName } channel { name } } } } } }`, { id: channelId });
  });
});

describe('graphql-ws', () => {
  /** A raw socket, to break the protocol in ways no well-behaved client library will. */
  function raw(): Promise<{ socket: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
    const socket = new WebSocket(stack.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve({ socket, closed }));
      socket.once('error', reject);
    });
  }
  const init = (socket: WebSocket, token = alice.token) =>
    new Promise<void>((resolve) => {
      socket.once('message', () => resolve());
      socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    });
  const subscribeMessage = (id: string) =>
    JSON.stringify({ id, type: 'subscribe', payload: { query: `subscription($c: ID!) { messageAdded(channelId: $c) { id } }`, variables: { c: channelId } } });

  it('closes protocol violations with their codes and stays up', async () => {
    const badJson = await raw();
    badJson.socket.send('{not json');
    expect((await badJson.closed).code).toBe(4400);

    const early = await raw();
    early.socket.send(subscribeMessage('1'));
    expect((await early.closed).code).toBe(4401);

    const twice = await raw();
    await init(twice.socket);
    twice.socket.send(subscribeMessage('dup'));
    twice.socket.send(subscribeMessage('dup'));
    expect((await twice.closed).code).toBe(4409);

    const silent = await raw();
    expect((await silent.closed).code).toBe(4408);

    expect((await stack.expectData(alice, `{ me { id } }`)).me.id).toBe(alice.id);
  }, 20_000);

  /** The next message the socket receives, parsed. */
  const nextMessage = (socket: WebSocket) => new Promise<any>((resolve) => socket.once('message', (data) => resolve(JSON.parse(String(data)))));

  it('closes a second connection_init, a message the server never takes, and a socket without the protocol', async () => {
    const twice = await raw();
    await init(twice.socket);
    twice.socket.send(JSON.stringify({ type: 'connection_init' }));
    expect(await twice.closed).toEqual({ code: 4429, reason: 'Too many initialisation requests' });

    const wrongWay = await raw();
    await init(wrongWay.socket);
    wrongWay.socket.send(JSON.stringify({ id: '1', type: 'next', payload: { data: null } }));
    expect((await wrongWay.closed).code).toBe(4400);

    const unknown = await raw();
    await init(unknown.socket);
    unknown.socket.send(JSON.stringify({ id: '1', type: 'start', payload: { query: '{ me { id } }' } }));
    expect((await unknown.closed).code).toBe(4400);

    const noProtocol = new WebSocket(stack.url.replace(/^http/, 'ws'));
    const closed = await new Promise<number>((resolve) => noProtocol.on('close', (code) => resolve(code)));
    expect(closed).toBe(4406);
  });

  it('answers pings, runs queries, and sends nothing for an operation the client completed', async () => {
    const { socket } = await raw();
    await init(socket);
    socket.send(JSON.stringify({ type: 'ping', payload: { n: 1 } }));
    expect(await nextMessage(socket)).toEqual({ type: 'pong', payload: { n: 1 } });

    const received: any[] = [];
    socket.on('message', (data) => received.push(JSON.parse(String(data))));
    socket.send(JSON.stringify({ id: 'q', type: 'subscribe', payload: { query: '{ me { id } }' } }));
    socket.send(JSON.stringify({ id: 'gone', type: 'subscribe', payload: { query: '{ me { displayName } }' } }));
    socket.send(JSON.stringify({ id: 'gone', type: 'complete' }));
    socket.send(JSON.stringify({ id: 'bad', type: 'subscribe', payload: { query: '{ me { nope } }' } }));
    const deadline = Date.now() + 5000;
    while (received.filter((m) => m.type === 'complete' || m.type === 'error').length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    expect(received).toEqual([
      expect.objectContaining({ id: 'bad', type: 'error', payload: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED' }) })] }),
      { id: 'q', type: 'next', payload: { data: { me: { id: alice.id } } } },
      { id: 'q', type: 'complete' },
    ]);
    // The ids are free again: reusing one is no duplicate.
    socket.send(JSON.stringify({ id: 'q', type: 'subscribe', payload: { query: '{ me { id } }' } }));
    expect(await nextMessage(socket)).toEqual({ id: 'q', type: 'next', payload: { data: { me: { id: alice.id } } } });
    socket.close();
  });

  it('gives a live subscription back its place when the client completes it', async () => {
    const { socket } = await raw();
    await init(socket);
    const errors: any[] = [];
    socket.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type === 'error') errors.push(message);
    });
    // The cap is two: completing and resubscribing many times never reaches it.
    for (let i = 0; i < 5; i++) {
      socket.send(subscribeMessage(`s${i}`));
      socket.send(JSON.stringify({ id: `s${i}`, type: 'complete' }));
    }
    socket.send(subscribeMessage('last'));
    await new Promise((r) => setTimeout(r, 500));
    expect(errors).toEqual([]);
    socket.close();
  });

  it('closes a socket whose message is over 64 KB', async () => {
    const big = await raw();
    await init(big.socket);
    big.socket.send(JSON.stringify({ id: 'x', type: 'subscribe', payload: { query: `{ me { id } }`, variables: { pad: 'x'.repeat(70_000) } } }));
    expect((await big.closed).code).toBe(1009);
  });

  it('closes a socket when its token expires', async () => {
    const token = await signClientToken(TEST_JWT_SECRET, { id: alice.id, name: 'Alice' }, { expiresIn: Math.floor(Date.now() / 1000) + 2 });
    const socket = await raw();
    await init(socket.socket, token);
    const closed = await socket.closed;
    expect(closed).toEqual({ code: 4403, reason: 'Token expired' });
  });

  it('caps sockets and live subscriptions per user', async () => {
    const bob = await person('Bob');
    await stack.expectData(bob, `mutation($id: ID!) { joinChannel(channelId: $id) { role } }`, { id: channelId });
    const SUB = `subscription($id: ID!) { messageAdded(channelId: $id) { id } }`;
    const sockets = [stack.connect(bob), stack.connect(bob), stack.connect(bob), stack.connect(bob)];
    const subs = sockets.map((s) => stack.subscribe(s, SUB, { id: channelId }));
    const ended = await subs[3].end();
    expect((ended.error as { code?: number }).code).toBe(4429);

    // Two of the three admitted sockets hold the two allowed subscriptions; a third is refused.
    const third = subs[2];
    const results = await Promise.race([third.end().then(() => 'ended'), new Promise((r) => setTimeout(() => r('live'), 1500))]);
    expect(results).toBe('ended');
    expect(((third.ended!.error as any)?.[0] ?? third.results[0]?.errors?.[0])?.extensions?.code).toBe('RATE_LIMITED');

    // Ending one frees a place.
    subs[0].unsubscribe();
    await new Promise((r) => setTimeout(r, 200));
    const again = stack.subscribe(sockets[2], SUB, { id: channelId });
    await new Promise((r) => setTimeout(r, 500));
    expect(again.ended).toBeUndefined();
    await stack.closeSockets();
  });
});

describe('persisted queries', () => {
  const QUERY = `query Me { me { id displayName } }`;
  const withHash = (hash: string, query?: string) => ({
    query,
    operationName: 'Me',
    extensions: { persistedQuery: { version: 1, sha256Hash: hash } },
  });
  const post = (url: string, body: unknown) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}` }, body: JSON.stringify(body) }).then(
      async (r) => ({ status: r.status, body: (await r.json()) as any }),
    );

  it('registers a query once and runs it by hash, on every gateway replica (Redis)', async () => {
    const hash = sha256(QUERY);
    expect((await post(stack.url, withHash(hash))).body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await post(stack.url, withHash(hash, QUERY))).body.data.me.id).toBe(alice.id);
    expect((await post(stack.url, withHash(hash))).body.data.me.id).toBe(alice.id);
    const replica = await stack.startGateway();
    expect((await post(replica.url, withHash(hash))).body.data.me.id).toBe(alice.id);
  });

  it('runs only registered operations in allow-list mode, over HTTP and graphql-ws', async () => {
    const manifest = path.join(tmp, 'manifest.json');
    await writeFile(manifest, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ id: 'me', name: 'Me', type: 'query', body: QUERY }] }));
    const strict = await stack.startGateway({ PERSISTED_QUERIES_ONLY: 'true', PERSISTED_QUERIES_MANIFEST: manifest });
    expect((await post(strict.url, withHash(sha256(QUERY)))).body.data.me.id).toBe(alice.id);
    expect((await post(strict.url, { query: QUERY })).body.data.me.id).toBe(alice.id);
    const refused = await post(strict.url, { query: `{ me { id handle } }` });
    expect(refused.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    const registering = await post(strict.url, withHash(sha256(`{ me { handle } }`), `{ me { handle } }`));
    expect(registering.body.data ?? null).toBeNull();

    const sub = strict.client.subscribe(strict.client.connect(alice), `subscription($id: ID!) { messageAdded(channelId: $id) { id } }`, { id: channelId });
    const end = await sub.end();
    expect((end.error as any)?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
    await strict.client.closeSockets();
  });
});

describe('production mode', () => {
  it('turns introspection off, hides field suggestions and masks internal errors', async () => {
    const prod = await stack.startGateway({ NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET, GATEWAY_SECRET: 'test-gateway-secret-0123456789-abcdefghij' });
    const introspection = await prod.client.request(alice, `{ __schema { types { name } } }`);
    expect(introspection.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const typo = await prod.client.request(alice, `{ me { displayNam } }`);
    expect(typo.errors?.[0]?.message).not.toMatch(/Did you mean/);
    const dev = await stack.request(alice, `{ me { displayNam } }`);
    expect(dev.errors?.[0]?.message).toMatch(/Did you mean/);

    const allowed = await stack.startGateway({ NODE_ENV: 'production', ALLOW_INTROSPECTION: 'true', JWT_SECRET: TEST_JWT_SECRET, GATEWAY_SECRET: 'test-gateway-secret-0123456789-abcdefghij' });
    expect((await allowed.client.expectData(alice, `{ __schema { queryType { name } } }`)).__schema.queryType.name).toBe('Query');
  });
});
