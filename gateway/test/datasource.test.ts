import { createServer, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types';
import { ApolloServer } from '@apollo/server';
import { closeServer, createMetrics, FORWARDED_USER_HEADER, graphqlHttpHandler, MAX_SUBGRAPH_BATCH, REQUEST_ID_HEADER } from '@commons/shared';
import { GraphQLError } from 'graphql';
import type { GatewayContext } from '../src/context';
import { createSubgraphFetcher, ForwardingDataSource } from '../src/datasource';

const TIMEOUT_MS = 400;
/** How late past the deadline a failure may come on a loaded 2-core machine. */
const SLACK_MS = 600;

const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => closeServer(server, 100)));
});

/** A real HTTP server on a free port, counting connections and closed sockets; closed after the suite. */
async function startServer(handler: RequestListener) {
  const server = createServer(handler);
  const stats = { connections: 0, closed: 0 };
  server.on('connection', (socket: Socket) => {
    stats.connections++;
    socket.on('close', () => stats.closed++);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, stats };
}

const fetcher = createSubgraphFetcher(TIMEOUT_MS);
const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' };

const dataSource = (url: string, options: { acrossRequests?: boolean } = {}) =>
  new ForwardingDataSource({ url, fetcher, subgraphName: 'test', metrics: createMetrics(), ...options });
const processQuery = (url: string, context: Record<string, unknown> = {}) =>
  dataSource(url).process({ kind: GraphQLDataSourceRequestKind.HEALTH_CHECK, request: { query: '{ __typename }' }, context });

async function failureOf(promise: Promise<unknown>): Promise<{ error: unknown; elapsedMs: number }> {
  const started = Date.now();
  try {
    await promise;
  } catch (error) {
    return { error, elapsedMs: Date.now() - started };
  }
  throw new Error('expected the request to fail');
}

describe('the subgraph fetcher', () => {
  it('answers ok, status, headers and the JSON body, and sends the forwarded caller and the request id', async () => {
    let received: IncomingHttpHeaders = {};
    const { url } = await startServer((req, res) => {
      received = req.headers;
      req.resume().on('end', () =>
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'x-extra': 'yes' }).end('{"data":{"__typename":"Query"}}'),
      );
    });

    const response = await fetcher(url, init);
    expect(response.ok).toBe(true);
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('x-extra')).toBe('yes');
    expect(response.headers.get('x-absent')).toBeNull();
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });

    const result = await processQuery(url, { forwardedUser: 'signed-caller', requestId: 'req-1' });
    expect(result.data).toEqual({ __typename: 'Query' });
    expect(received['content-type']).toBe('application/json');
    expect(received[FORWARDED_USER_HEADER]).toBe('signed-caller');
    expect(received['x-request-id']).toBe('req-1');
  });

  it('fails within the deadline when the subgraph never answers, and closes the socket', async () => {
    const { url, stats } = await startServer(() => {});
    const { error, elapsedMs } = await failureOf(fetcher(url, init));
    expect((error as Error).name).toBe('TimeoutError');
    expect(elapsedMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    await waitUntil(() => stats.closed === stats.connections);
  });

  it('fails within the deadline when the subgraph sends its headers and then stalls the body', async () => {
    const { url, stats } = await startServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"data":');
    });
    const { error, elapsedMs } = await failureOf(fetcher(url, init));
    expect((error as Error).name).toBe('TimeoutError');
    expect(elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    await waitUntil(() => stats.closed === stats.connections);
  });

  it('turns a 500 with an HTML body into the generic error, and reuses the connection after it', async () => {
    let calls = 0;
    const { url, stats } = await startServer((req, res) => {
      req.resume().on('end', () => {
        // Large enough that an unread body would hold the socket (backpressure), not fit in buffers.
        if (calls++ === 0) res.writeHead(500, { 'content-type': 'text/html' }).end(`<html>${'stack trace '.repeat(200_000)}</html>`);
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"__typename":"Query"}}');
      });
    });

    const { error } = await failureOf(processQuery(url));
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).message).toBe('A service failed to answer (500)');
    expect((error as GraphQLError).extensions.code).toBe('INTERNAL_SERVER_ERROR');
    expect(JSON.stringify(error)).not.toMatch(/html|stack/);

    // The error's body was read to the end, so the keep-alive socket goes back to the pool (a
    // moment later: undici frees it after the body's end) and serves the next request.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await processQuery(url)).data).toEqual({ __typename: 'Query' });
    expect(stats.connections).toBe(1);
  });
});

async function waitUntil(predicate: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the sockets to close');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('entity representations', () => {
  const ENTITIES = 'query($representations:[_Any!]!){_entities(representations:$representations){...on User{id name}}}';
  const entitiesRequest = (representations: unknown[]) => ({
    kind: GraphQLDataSourceRequestKind.HEALTH_CHECK as const,
    request: { query: ENTITIES, variables: { representations } },
    context: {},
  });

  it('sends each distinct entity once and answers every position the gateway asked for', async () => {
    const received: unknown[][] = [];
    const { url } = await startServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk)).on('end', () => {
        const { representations } = JSON.parse(body).variables as { representations: Array<{ id: string }> };
        received.push(representations);
        const errors = representations.flatMap((r, i) => (r.id === 'gone' ? [{ message: 'No such user', path: ['_entities', i, 'name'] }] : []));
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({ data: { _entities: representations.map((r) => (r.id === 'gone' ? null : { id: r.id, name: `name of ${r.id}` })) }, errors }),
        );
      });
    });
    const user = (id: string) => ({ __typename: 'User', id });
    const asked = [user('a'), user('b'), user('a'), user('gone'), user('a'), user('gone'), user('c')];

    const response = await dataSource(url).process(entitiesRequest(asked));
    expect(received).toEqual([[user('a'), user('b'), user('gone'), user('c')]]);
    expect(response.data!._entities).toEqual(
      asked.map((r) => (r.id === 'gone' ? null : { id: r.id, name: `name of ${r.id}` })),
    );
    // The gateway merges into each position: repeats must be separate objects.
    const entities = response.data!._entities as object[];
    expect(entities[0]).not.toBe(entities[2]);
    expect(response.errors!.map((e) => e.path)).toEqual([
      ['_entities', 3, 'name'],
      ['_entities', 5, 'name'],
    ]);
  });

  it('leaves requests without repeats as they are', async () => {
    const received: unknown[] = [];
    const { url } = await startServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk)).on('end', () => {
        received.push(JSON.parse(body).variables.representations);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"_entities":[{"id":"a"},{"id":"b"}]}}');
      });
    });
    const response = await dataSource(url).process(entitiesRequest([{ __typename: 'User', id: 'a' }, { __typename: 'User', id: 'b' }]));
    expect(received).toEqual([[{ __typename: 'User', id: 'a' }, { __typename: 'User', id: 'b' }]]);
    expect(response.data).toEqual({ _entities: [{ id: 'a' }, { id: 'b' }] });
  });
});

describe("batching client requests' queries to a subgraph", () => {
  const typeDefs = `type Query { echo(text: String!): String  viewerOf(tag: String!): String } type Mutation { note(text: String!): String }`;
  /**
   * A real Apollo Server (batches allowed or not) behind the subgraphs' own HTTP handler,
   * recording each HTTP request's body and how many contexts it built. Like the subgraphs, it
   * answers 401 without a caller and takes each operation's own from its extensions, unless
   * `headerCallerOnly` (as a subgraph before that did).
   */
  async function startSubgraph(options: { allowBatches: boolean; headerCallerOnly?: boolean }) {
    const requests: unknown[] = [];
    let contexts = 0;
    const callerOf = (operation: unknown) => (operation as { extensions?: Record<string, string> } | undefined)?.extensions?.[FORWARDED_USER_HEADER];
    const server = new ApolloServer<{ caller?: string; requestId?: string }>({
      typeDefs,
      allowBatchedHttpRequests: options.allowBatches,
      resolvers: {
        Query: {
          echo: (_: unknown, { text }: { text: string }) => {
            if (text === 'fail') throw new GraphQLError('echo failed', { extensions: { code: 'BAD_USER_INPUT' } });
            return text;
          },
          viewerOf: (_: unknown, { tag }: { tag: string }, ctx: { caller?: string; requestId?: string }) => `${tag}:${ctx.caller}:${ctx.requestId}`,
        },
        Mutation: { note: (_: unknown, { text }: { text: string }) => text },
      },
    });
    await server.start();
    const handler = graphqlHttpHandler(server, {
      maxBodyBytes: 1 << 20,
      maxBatch: MAX_SUBGRAPH_BATCH,
      ...(options.headerCallerOnly ? {} : { contextKey: (operation: unknown) => callerOf(operation) ?? '' }),
      context: async (req, operation) => {
        contexts++;
        const own = options.headerCallerOnly ? undefined : callerOf(operation);
        const caller = own ?? (req.headers[FORWARDED_USER_HEADER] as string | undefined);
        if (!caller) throw new GraphQLError('This service only answers the gateway', { extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } } });
        const requestId = own ? (operation as { extensions: Record<string, string> }).extensions[REQUEST_ID_HEADER] : (req.headers[REQUEST_ID_HEADER] as string);
        return { caller, requestId };
      },
    });
    const { url } = await startServer((req, res) => {
      // Record the body as it passes, then hand the request to the real handler.
      let body = '';
      req.on('data', (chunk) => (body += chunk)).on('end', () => requests.push(JSON.parse(body)));
      handler(req, res);
    });
    stops.push(() => server.stop());
    return { url, requests, contexts: () => contexts };
  }
  const stops: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const stop of stops) await stop();
  });

  const operation = (query: string, context: GatewayContext, variables?: Record<string, unknown>) => ({
    kind: GraphQLDataSourceRequestKind.INCOMING_OPERATION as const,
    request: { query, variables },
    context,
    incomingRequestContext: {} as never,
  });
  const echo = (text: string, context: GatewayContext) => operation('query Echo($t: String!) { echo(text: $t) }', context, { t: text });
  const caller = (name: string): GatewayContext => ({ forwardedUser: name, requestId: `req-${name}`, viewer: null });

  it("sends a request's queries of one tick as one batch, each answered with its own result", async () => {
    const subgraph = await startSubgraph({ allowBatches: true });
    const source = dataSource(subgraph.url);
    const context = caller('alice');
    const [a, b, failed] = await Promise.all([source.process(echo('a', context)), source.process(echo('b', context)), source.process(echo('fail', context))]);
    expect(subgraph.requests).toHaveLength(1);
    expect(subgraph.requests[0]).toEqual([
      expect.objectContaining({ variables: { t: 'a' } }),
      expect.objectContaining({ variables: { t: 'b' } }),
      expect.objectContaining({ variables: { t: 'fail' } }),
    ]);
    // One HTTP request, one context: the subgraph's loaders serve the whole batch.
    expect(subgraph.contexts()).toBe(1);
    expect(a).toEqual({ data: { echo: 'a' } });
    expect(b).toEqual({ data: { echo: 'b' } });
    // An error in one operation stays in its own answer.
    expect(failed.data).toEqual({ echo: null });
    expect(failed.errors).toEqual([expect.objectContaining({ message: 'echo failed', extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) })]);
  });

  const viewerOf = (tag: string, context: GatewayContext) => operation('query V($t: String!) { viewerOf(tag: $t) }', context, { t: tag });

  it("sends the queries of different client requests of one turn as one batch while others are under way, each with its own caller and request id", async () => {
    const subgraph = await startSubgraph({ allowBatches: true });
    const source = dataSource(subgraph.url);
    const alice = caller('alice');
    // With nothing under way, a query goes at once: waiting for the turn's others would only delay it.
    const first = source.process(viewerOf('first', caller('carol')));
    await new Promise<void>((resolve) => setImmediate(resolve));
    // While it is, the requests of a turn (here a tick apart, as reads of different sockets are) gather.
    const a = source.process(viewerOf('a', alice));
    await new Promise<void>((resolve) => process.nextTick(resolve));
    const [b, a2] = await Promise.all([source.process(viewerOf('b', caller('bob'))), source.process(viewerOf('a2', alice))]);
    expect([(await first).data, (await a).data, b.data, a2.data]).toEqual([
      { viewerOf: 'first:carol:req-carol' },
      { viewerOf: 'a:alice:req-alice' },
      { viewerOf: 'b:bob:req-bob' },
      { viewerOf: 'a2:alice:req-alice' },
    ]);
    expect(subgraph.requests).toEqual([
      expect.objectContaining({ variables: { t: 'first' } }),
      [
        expect.objectContaining({ variables: { t: 'a' }, extensions: { [FORWARDED_USER_HEADER]: 'alice', [REQUEST_ID_HEADER]: 'req-alice' } }),
        expect.objectContaining({ variables: { t: 'b' }, extensions: { [FORWARDED_USER_HEADER]: 'bob', [REQUEST_ID_HEADER]: 'req-bob' } }),
        expect.objectContaining({ variables: { t: 'a2' }, extensions: { [FORWARDED_USER_HEADER]: 'alice', [REQUEST_ID_HEADER]: 'req-alice' } }),
      ],
    ]);
    // One context per caller in the batch: Alice's two queries share her loaders.
    expect(subgraph.contexts()).toBe(3);
  });

  it('sends mutations alone', async () => {
    const subgraph = await startSubgraph({ allowBatches: true });
    const source = dataSource(subgraph.url);
    const alice = caller('alice');
    const note = operation('mutation N($t: String!) { note(text: $t) }', alice, { t: 'n' });
    const [m, q] = await Promise.all([source.process(note), source.process(echo('q', alice))]);
    expect([m.data, q.data]).toEqual([{ note: 'n' }, { echo: 'q' }]);
    expect(subgraph.requests).toHaveLength(2);
    expect(subgraph.requests.every((body) => !Array.isArray(body))).toBe(true);
  });

  it('sends a batch per caller, from then on, to a subgraph that takes the caller only from its header', async () => {
    const subgraph = await startSubgraph({ allowBatches: true, headerCallerOnly: true });
    const source = dataSource(subgraph.url);
    const turn = () => Promise.all([source.process(viewerOf('a', caller('alice'))), source.process(viewerOf('b', caller('bob'))), source.process(viewerOf('c', caller('alice')))]);
    expect((await turn()).map((r) => r.data)).toEqual([{ viewerOf: 'a:alice:req-alice' }, { viewerOf: 'b:bob:req-bob' }, { viewerOf: 'c:alice:req-alice' }]);
    // The batch of both callers was refused whole (401: no caller in its headers), and ran nothing.
    const shapes = (bodies: unknown[]) => bodies.map((body) => (Array.isArray(body) ? body.map((o) => o.variables.t).join('') : body && (body as any).variables.t));
    expect(shapes(subgraph.requests)).toEqual(['abc', 'ac', 'b']);
    subgraph.requests.length = 0;
    expect((await turn()).map((r) => r.data)).toEqual([{ viewerOf: 'a:alice:req-alice' }, { viewerOf: 'b:bob:req-bob' }, { viewerOf: 'c:alice:req-alice' }]);
    expect(shapes(subgraph.requests)).toEqual(['ac', 'b']);
  });

  it('with tracing on, never mixes client requests, and batches the contexts of one batch scope across ticks of the same turn', async () => {
    const subgraph = await startSubgraph({ allowBatches: true });
    const source = dataSource(subgraph.url, { acrossRequests: false });
    const [a, b] = await Promise.all([source.process(viewerOf('a', caller('alice'))), source.process(viewerOf('b', caller('bob')))]);
    expect([a.data, b.data]).toEqual([{ viewerOf: 'a:alice:req-alice' }, { viewerOf: 'b:bob:req-bob' }]);
    expect(subgraph.requests).toHaveLength(2);
    expect(subgraph.requests.every((body) => !Array.isArray(body))).toBe(true);
    subgraph.requests.length = 0;

    // Live events of one identity: separate contexts (each its own request id), one scope.
    const scope = {};
    const event = (n: number): GatewayContext => ({ ...caller('fanout'), requestId: `event-${n}`, batchScope: scope });
    const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve));
    // The second event's fetch comes a tick later, as one read of a socket after another does.
    const first = source.process(echo('e1', event(1)));
    await nextTick();
    await nextTick();
    const second = source.process(echo('e2', event(2)));
    // Another scope of the same turn (another identity's events) goes in a request of its own.
    const other = source.process(echo('o', { ...caller('bob'), batchScope: {} }));
    expect((await Promise.all([first, second, other])).map((r) => r.data)).toEqual([{ echo: 'e1' }, { echo: 'e2' }, { echo: 'o' }]);
    expect(subgraph.requests).toHaveLength(2);
    expect(subgraph.requests).toContainEqual([expect.objectContaining({ variables: { t: 'e1' } }), expect.objectContaining({ variables: { t: 'e2' } })]);
    expect(subgraph.requests).toContainEqual(expect.objectContaining({ variables: { t: 'o' } }));
  });

  it(`puts at most ${MAX_SUBGRAPH_BATCH} operations in a batch, and the subgraph refuses more`, async () => {
    const subgraph = await startSubgraph({ allowBatches: true });
    const source = dataSource(subgraph.url);
    const context = caller('alice');
    const texts = Array.from({ length: MAX_SUBGRAPH_BATCH + 1 }, (_, i) => `t${i}`);
    const answers = await Promise.all(texts.map((t) => source.process(echo(t, context))));
    expect(answers.map((r) => r.data?.echo)).toEqual(texts);
    expect(subgraph.requests.map((body) => (Array.isArray(body) ? body.length : 1))).toEqual([MAX_SUBGRAPH_BATCH, 1]);

    const tooMany = Array.from({ length: MAX_SUBGRAPH_BATCH + 1 }, () => ({ query: '{ echo(text: "x") }' }));
    const res = await fetch(subgraph.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(tooMany) });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ errors: [{ message: `A batch may hold at most ${MAX_SUBGRAPH_BATCH} operations`, extensions: { code: 'BAD_REQUEST' } }] });
  });

  it('sends each operation alone, from then on, to a subgraph that refuses batches', async () => {
    const subgraph = await startSubgraph({ allowBatches: false });
    const source = dataSource(subgraph.url);
    const context = caller('alice');
    const first = await Promise.all([source.process(echo('a', context)), source.process(echo('b', context))]);
    expect(first.map((r) => r.data)).toEqual([{ echo: 'a' }, { echo: 'b' }]);
    // The refused batch ran nothing; both were sent again alone.
    expect(subgraph.requests.map((body) => Array.isArray(body))).toEqual([true, false, false]);

    subgraph.requests.length = 0;
    const next = await Promise.all([source.process(echo('c', context)), source.process(echo('d', context))]);
    expect(next.map((r) => r.data)).toEqual([{ echo: 'c' }, { echo: 'd' }]);
    expect(subgraph.requests.map((body) => Array.isArray(body))).toEqual([false, false]);
  });

  it('fails every operation of a batch the subgraph fails, with the generic error', async () => {
    const { url } = await startServer((req, res) => void req.resume().on('end', () => res.writeHead(502, { 'content-type': 'text/plain' }).end('upstream exploded')));
    const source = dataSource(url);
    const context = caller('alice');
    const results = await Promise.allSettled([source.process(echo('a', context)), source.process(echo('b', context))]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      const error = (result as PromiseRejectedResult).reason as GraphQLError;
      expect(error.message).toBe('A service failed to answer (502)');
      expect(error.extensions.code).toBe('INTERNAL_SERVER_ERROR');
    }
  });

  it('fails a batch whose answer is not one result per operation', async () => {
    const { url } = await startServer((req, res) => void req.resume().on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('[{"data":{"echo":"a"}}]')));
    const source = dataSource(url);
    const context = caller('alice');
    const results = await Promise.allSettled([source.process(echo('a', context)), source.process(echo('b', context))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(((results[0] as PromiseRejectedResult).reason as Error).message).toMatch(/Expected a JSON array of 2 responses/);
  });
});
