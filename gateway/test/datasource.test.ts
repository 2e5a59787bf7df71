import { createServer, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types';
import { closeServer, createMetrics, FORWARDED_USER_HEADER } from '@commons/shared';
import { GraphQLError } from 'graphql';
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

const dataSource = (url: string) => new ForwardingDataSource({ url, fetcher, subgraphName: 'test', metrics: createMetrics() });
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
