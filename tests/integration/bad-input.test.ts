import { once } from 'node:events';
import { connect } from 'node:net';
import { createForwardedUserSigner, FORWARDED_USER_HEADER, REQUEST_ID_HEADER, signClientToken } from '@commons/shared';
import { SignJWT } from 'jose';
import { person, startStack, TEST_JWT_SECRET, type Stack } from '../testkit/stack';
import { TEST_GATEWAY_SECRET } from '../testkit/subgraph';

let stack: Stack;
let alice: Awaited<ReturnType<typeof person>>;
let channelId: string;

beforeAll(async () => {
  stack = await startStack('badinput');
  alice = await person('Alice');
  const data = await stack.expectData(alice, `mutation { createChannel(input: { name: "general", kind: TEXT }) { id } }`);
  channelId = data.createChannel.id;
});
afterAll(async () => {
  await stack.closeSockets();
  await stack.close();
});

const messageCount = () => stack.deps.prisma.message.count({ where: { channelId } });

describe('tokens', () => {
  const ME = `{ me { id } }`;

  it('treats a request without a token as anonymous', async () => {
    expect((await stack.expectData(null, ME)).me).toBeNull();
    await stack.expectError(null, `{ channels(first: 5) { edges { cursor } } }`, undefined, 'UNAUTHENTICATED');
  });

  it.each([
    ['signed with another secret', () => signClientToken('another-secret-that-is-long-enough-0123', { id: 'mallory' })],
    ['expired', () => signClientToken(TEST_JWT_SECRET, { id: 'late' }, { expiresIn: Math.floor(Date.now() / 1000) - 60 })],
    ['unsigned (alg none)', async () => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.`],
    ['without a subject', () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(TEST_JWT_SECRET))],
    ['garbage', async () => 'not-a-jwt'],
  ])('refuses a token %s with UNAUTHENTICATED, never as anonymous', async (_what, make) => {
    const res = await stack.request({ token: await make() }, ME);
    expect(res.status).toBe(401);
    expect(res.data ?? null).toBeNull();
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('closes a graphql-ws connection whose token is bad with 4403', async () => {
    const client = stack.connect({ token: 'forged' });
    const sub = stack.subscribe(client, `subscription($id: ID!) { messageAdded(channelId: $id) { id } }`, { id: channelId });
    const end = await sub.end();
    expect((end.error as { code?: number }).code).toBe(4403);
  });
});

describe('operations', () => {
  it('refuses pages over 100 with BAD_USER_INPUT', async () => {
    await stack.expectError(alice, `{ channels(first: 101) { edges { cursor } } }`, undefined, 'BAD_USER_INPUT');
    await stack.expectError(alice, `query($id: ID!) { channel(id: $id) { messages(last: 101) { edges { cursor } } } }`, { id: channelId }, 'BAD_USER_INPUT');
    await stack.expectError(alice, `query($id: ID!) { channel(id: $id) { messages(first: -1) { edges { cursor } } } }`, { id: channelId }, 'BAD_USER_INPUT');
  });

  it('refuses a cursor it did not make', async () => {
    await stack.expectError(alice, `query($id: ID!) { channel(id: $id) { messages(first: 5, after: "bogus") { edges { cursor } } } }`, { id: channelId }, 'BAD_USER_INPUT');
    await stack.expectError(alice, `{ channels(first: 5, after: "eyJ4Ijp0cnVlfQ") { edges { cursor } } }`, undefined, 'BAD_USER_INPUT');
  });

  it('stores nothing for a bad message and says why', async () => {
    const before = await messageCount();
    const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }`;
    await stack.expectError(alice, SEND, { input: { channelId, body: '' } }, 'BAD_USER_INPUT');
    await stack.expectError(alice, SEND, { input: { channelId, body: '   \n ' } }, 'BAD_USER_INPUT');
    await stack.expectError(alice, SEND, { input: { channelId, body: 'x'.repeat(4001) } }, 'BAD_USER_INPUT');
    await stack.expectError(alice, SEND, { input: { channelId: 'not-a-uuid', body: 'hi' } }, 'NOT_FOUND');
    await stack.expectError(alice, SEND, { input: { channelId: '00000000-0000-4000-8000-000000000000', body: 'hi' } }, 'NOT_FOUND');
    await stack.expectError(alice, SEND, { input: { body: 'no channel' } }, 'BAD_USER_INPUT');
    expect(await messageCount()).toBe(before);
  });

  it('refuses bad channel input and stores nothing', async () => {
    const before = await stack.deps.prisma.channel.count();
    const CREATE = `mutation($input: CreateChannelInput!) { createChannel(input: $input) { id } }`;
    await stack.expectError(alice, CREATE, { input: { name: '  ', kind: 'TEXT' } }, 'BAD_USER_INPUT');
    await stack.expectError(alice, CREATE, { input: { name: 'x'.repeat(81), kind: 'TEXT' } }, 'BAD_USER_INPUT');
    await stack.expectError(alice, CREATE, { input: { name: 'ok', kind: 'PODCAST' } }, 'BAD_USER_INPUT');
    await stack.expectError(alice, CREATE, { input: { name: 'ok', kind: 'TEXT', topic: 't'.repeat(501) } }, 'BAD_USER_INPUT');
    expect(await stack.deps.prisma.channel.count()).toBe(before);
  });

  it('answers unknown ids with null, not an error', async () => {
    const data = await stack.expectData(alice, `{ a: channel(id: "nope") { id } b: message(id: "nope") { id } c: user(id: "nobody") { id } }`);
    expect(data).toEqual({ a: null, b: null, c: null });
  });

  it('answers a query for a field that does not exist with a validation error', async () => {
    await stack.expectError(alice, `{ me { password } }`, undefined, 'GRAPHQL_VALIDATION_FAILED');
    await stack.expectError(alice, `{ me { `, undefined, 'GRAPHQL_PARSE_FAILED');
  });
});

describe('HTTP', () => {
  const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(stack.url, { method: 'POST', headers: { authorization: `Bearer ${alice.token}`, ...headers }, body });

  it('answers malformed JSON with a 400 and a code, and keeps serving', async () => {
    const res = await post('{"query": ');
    expect(res.status).toBe(400);
    const body: any = await res.json();
    expect(body.errors[0].extensions.code).toBeDefined();
    expect(JSON.stringify(body)).not.toMatch(/at .*\.js|node_modules/);
    expect((await stack.expectData(alice, `{ me { id } }`)).me.id).toBe(alice.id);
  });

  it.each([200_000, 5_000_000])('refuses a body of %i bytes (over 100 KB) with 413', async (size) => {
    const res = await post(JSON.stringify({ query: `{ me { id } }`, variables: { pad: 'x'.repeat(size) } }));
    expect(res.status).toBe(413);
    expect(((await res.json()) as any).errors[0].extensions.code).toBe("PAYLOAD_TOO_LARGE");
  });

  it('blocks CSRF: text/plain POSTs and mutations over GET', async () => {
    const plain = await post(JSON.stringify({ query: `mutation { createChannel(input: { name: "csrf", kind: TEXT }) { id } }` }), { 'content-type': 'text/plain' });
    expect(plain.status).toBe(400);
    expect(((await plain.json()) as any).errors[0]).toMatchObject({ message: expect.stringContaining('CSRF'), extensions: { code: 'BAD_REQUEST' } });
    const get = await fetch(`${stack.url}?query=${encodeURIComponent('mutation { createChannel(input: { name: "csrf", kind: TEXT }) { id } }')}`, {
      headers: { authorization: `Bearer ${alice.token}`, 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(405);
    expect(((await get.json()) as any).errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(await stack.deps.prisma.channel.count({ where: { name: 'csrf' } })).toBe(0);
  });

  it('answers malformed JSON, a JSON scalar and an unsupported charset with BAD_REQUEST', async () => {
    for (const [body, headers, status] of [
      ['{"query": ', undefined, 400],
      ['   ', undefined, 400],
      ['"{ me { id } }"', undefined, 400],
      [JSON.stringify({ query: `{ me { id } }` }), { 'content-type': 'application/json; charset=latin1' }, 415],
    ] as const) {
      const res = await post(body, headers);
      expect({ body, status: res.status, code: ((await res.json()) as any).errors[0].extensions.code }).toEqual({ body, status, code: 'BAD_REQUEST' });
    }
    // An empty body is `{}`, as body-parser made it: Apollo answers that it has no query.
    expect((await post('')).status).toBe(400);
  });

  it('reads a body that arrives in many TCP segments, split inside multi-byte characters', async () => {
    const name = 'Zürich ✓ 🚀 Ünïcödé';
    const body = JSON.stringify({ query: `mutation($name: String!) { createChannel(input: { name: $name, kind: TEXT }) { name } }`, variables: { name } });
    const res = await postInPieces(stack.url, { 'content-type': 'application/json', authorization: `Bearer ${alice.token}` }, Buffer.from(body), 7);
    expect(res).toEqual({ status: 200, body: { data: { createChannel: { name } } } });
  });

  it('refuses a chunked body with 413 as soon as it passes 100 KB, without waiting for the rest', async () => {
    const { hostname, port, pathname } = new URL(stack.url);
    const socket = connect(Number(port), hostname);
    await once(socket, 'connect');
    socket.write(`POST ${pathname} HTTP/1.1\r\nhost: ${hostname}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`);
    const chunk = `{"pad":"${'x'.repeat(20_000)}`;
    for (let i = 0; i < 6; i++) socket.write(`${Buffer.byteLength(chunk).toString(16)}\r\n${chunk}\r\n`);
    // No last chunk: the body never ends, and the answer comes anyway.
    const [answer] = (await once(socket, 'data')) as [Buffer];
    socket.destroy();
    expect(answer.toString()).toMatch(/^HTTP\/1\.1 413 [^]*connection: close[^]*"PAYLOAD_TOO_LARGE"/i);
    expect((await stack.expectData(alice, `{ me { id } }`)).me.id).toBe(alice.id);
  });

  it('runs queries over GET, with the query string, and shows the landing page to browsers', async () => {
    const res = await fetch(`${stack.url}?query=${encodeURIComponent('query($x: Boolean!) { me @include(if: $x) { id } }')}&variables=${encodeURIComponent('{"x":true}')}`, {
      headers: { authorization: `Bearer ${alice.token}`, 'apollo-require-preflight': 'true' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { me: { id: alice.id } } });
    const page = await fetch(stack.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('serves only /graphql itself as GraphQL; every other path stays with the probes and 404s', async () => {
    expect((await fetch(new URL('/health', stack.url))).status).toBe(200);
    expect((await fetch(new URL('/graphql/', stack.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(404);
  });

  it('answers CORS preflights for allowed origins, with credentials, and for no other', async () => {
    const preflight = (origin: string) =>
      fetch(stack.url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' } });
    const allowed = await preflight('http://localhost:5173');
    expect(allowed.status).toBe(204);
    expect(Object.fromEntries([...allowed.headers].filter(([k]) => k.startsWith('access-control-')))).toEqual({
      'access-control-allow-origin': 'http://localhost:5173',
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET,HEAD,PUT,PATCH,POST,DELETE',
      'access-control-allow-headers': 'content-type,authorization',
    });
    const refused = await preflight('https://elsewhere.example');
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();

    const res = await fetch(stack.url, {
      method: 'POST',
      headers: { origin: 'http://localhost:5173', 'content-type': 'application/json', authorization: `Bearer ${alice.token}` },
      body: JSON.stringify({ query: `{ me { id } }` }),
    });
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('vary')).toMatch(/origin/i);
    expect(((await res.json()) as any).data.me.id).toBe(alice.id);
  });

  it('admits Apollo Studio Sandbox by CORS', async () => {
    const res = await fetch(stack.url, {
      method: 'OPTIONS',
      headers: { origin: 'https://studio.apollographql.com', 'access-control-request-method': 'POST' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://studio.apollographql.com');
  });
});

describe('subgraphs reached directly', () => {
  it('refuse requests without the gateway signature, _entities and _service included', async () => {
    for (const url of Object.values(stack.subgraphUrls)) {
      for (const [headers, query] of [
        [{}, `{ _service { sdl } }`],
        [{ [FORWARDED_USER_HEADER]: 'forged' }, `{ _service { sdl } }`],
        [{}, `query { _entities(representations: [{ __typename: "Channel", id: "${channelId}" }]) { __typename } }`],
        [{ [FORWARDED_USER_HEADER]: await signClientToken(TEST_JWT_SECRET, { id: alice.id }) }, `{ __typename }`],
      ] as const) {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
        const body: any = await res.json();
        expect(res.status).toBe(401);
        expect(body.data ?? null).toBeNull();
        expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      }
    }
  });

  it("check each batched operation's own caller as the header is checked: a forged one fails alone", async () => {
    const bob = await person('Bob');
    const sign = createForwardedUserSigner(TEST_GATEWAY_SECRET);
    const as = (caller: string | undefined) => ({ query: `{ me { id } }`, ...(caller === undefined ? {} : { extensions: { [FORWARDED_USER_HEADER]: caller, [REQUEST_ID_HEADER]: 'r' } }) });
    const batch = [as(await sign({ id: alice.id })), as('forged'), as(await sign({ id: bob.id })), as(undefined), as(await signClientToken(TEST_JWT_SECRET, { id: alice.id }))];
    const res = await fetch(stack.subgraphUrls.channel, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) });
    expect(res.status).toBe(200);
    const results: any[] = await res.json();
    expect(results.map((r) => r.data?.me?.id ?? r.errors?.[0]?.extensions?.code)).toEqual([alice.id, 'UNAUTHENTICATED', bob.id, 'UNAUTHENTICATED', 'UNAUTHENTICATED']);
  });

  it('answer unreadable bodies with JSON and a code, before any signature check', async () => {
    const url = stack.subgraphUrls.channel;
    const post = (body: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const tooLarge = await post(JSON.stringify({ query: `{ __typename }`, variables: { pad: 'x'.repeat(1024 * 1024) } }));
    expect([tooLarge.status, ((await tooLarge.json()) as any).errors[0].extensions.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const malformed = await post('{"query": ');
    expect([malformed.status, ((await malformed.json()) as any).errors[0].extensions.code]).toEqual([400, 'BAD_REQUEST']);
  });
});

/** POSTs `body` over a raw socket in `pieces` separate writes, and reads the whole answer. */
async function postInPieces(url: string, headers: Record<string, string>, body: Buffer, pieces: number) {
  const { hostname, port, pathname } = new URL(url);
  const socket = connect(Number(port), hostname).setNoDelay(true);
  await once(socket, 'connect');
  const head = Object.entries({ host: `${hostname}:${port}`, connection: 'close', 'content-length': String(body.length), ...headers });
  socket.write(`POST ${pathname} HTTP/1.1\r\n${head.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
  const size = Math.ceil(body.length / pieces);
  for (let at = 0; at < body.length; at += size) {
    await new Promise((r) => setTimeout(r, 20));
    socket.write(body.subarray(at, at + size));
  }
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  const [status, ...rest] = Buffer.concat(chunks).toString('utf8').split('\r\n\r\n');
  return { status: Number(status.split(' ')[1]), body: JSON.parse(rest.join('\r\n\r\n')) };
}
