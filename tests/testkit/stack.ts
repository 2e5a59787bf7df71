import { composeSupergraph } from '@commons/gateway/src/compose';
import { createGateway, type GatewayServer } from '@commons/gateway/src/server';
import { createLogger, createMetrics, loadConfig, signClientToken, type SubgraphServer, type Viewer } from '@commons/shared';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { SUBGRAPH_FACTORIES, type SubgraphFactory } from '../../subgraphs';
import { createTestDeps, TEST_GATEWAY_SECRET, type GraphQLResponse } from './subgraph';

export const TEST_JWT_SECRET = 'test-jwt-secret-0123456789-abcdefghijklmnop';

let composed: string | undefined;
const supergraphSdl = () => (composed ??= composeSupergraph());

const FACTORIES: Record<string, SubgraphFactory> = SUBGRAPH_FACTORIES;

export interface StackOptions {
  /** Extra environment for the gateway's and the subgraphs' config (e.g. SUBGRAPH_TIMEOUT_MS, VOICE_HEARTBEAT_TIMEOUT_MS). */
  env?: Record<string, string>;
  /** Another Redis than the shared test server (fault tests stop and restart their own). */
  redisUrl?: string;
}

/**
 * The real thing on free ports: every subgraph over real Postgres (a database of this test
 * file's own) and real Redis (a prefix of its own), and a gateway in front of them.
 */
export async function startStack(label: string, options: StackOptions = {}) {
  const { deps, db, replicaDeps, close: closeDeps } = await createTestDeps(label, options.redisUrl);
  // The subgraphs see the same environment as the gateway (e.g. a short VOICE_HEARTBEAT_TIMEOUT_MS).
  const subgraphOptions = {
    gatewaySecret: TEST_GATEWAY_SECRET,
    production: false,
    config: loadConfig({ NODE_ENV: 'test', JWT_SECRET: TEST_JWT_SECRET, GATEWAY_SECRET: TEST_GATEWAY_SECRET, LOG_LEVEL: 'silent', ...options.env }),
  };
  const subgraphs: Record<string, SubgraphServer> = {};
  const subgraphUrls: Record<string, string> = {};
  for (const [name, create] of Object.entries(FACTORIES)) {
    subgraphs[name] = create(deps, subgraphOptions);
    subgraphUrls[name] = await subgraphs[name].listen(0, '127.0.0.1');
  }
  const gateways: GatewayServer[] = [];
  const replicas: SubgraphServer[] = [];
  const startGateway = async (env: Record<string, string> = {}, urls: Record<string, string> = subgraphUrls) => {
    const config = loadConfig({
      NODE_ENV: 'test',
      JWT_SECRET: TEST_JWT_SECRET,
      GATEWAY_SECRET: TEST_GATEWAY_SECRET,
      LOG_LEVEL: 'silent',
      ...options.env,
      ...env,
    });
    const logger = createLogger('gateway', process.env.TEST_LOG_LEVEL ?? 'silent');
    const gateway = createGateway({ config, logger, subgraphUrls: urls, supergraph: supergraphSdl(), redis: deps.redis, metrics: createMetrics() });
    gateways.push(gateway);
    const url = await gateway.listen(0, '127.0.0.1');
    return { gateway, url, client: gatewayClient(url) };
  };
  const main = await startGateway();
  return {
    ...main.client,
    url: main.url,
    gateway: main.gateway,
    deps,
    db,
    subgraphs,
    subgraphUrls,
    /** Another gateway in front of the same subgraphs (a second replica). */
    startGateway,
    /**
     * A second replica of one subgraph, with its own database pool and Redis connections (as
     * another process would have), and a second gateway in front of it and the other subgraphs.
     */
    async startReplica(name: string) {
      const replica = FACTORIES[name](replicaDeps(), subgraphOptions);
      replicas.push(replica);
      const url = await replica.listen(0, '127.0.0.1');
      return { replica, ...(await startGateway({}, { ...subgraphUrls, [name]: url })) };
    },
    /** Stops a subgraph and starts a new one on the same port, as a process restart would. */
    async restartSubgraph(name: string) {
      await subgraphs[name].close();
      subgraphs[name] = FACTORIES[name](deps, subgraphOptions);
      await subgraphs[name].listen(Number(new URL(subgraphUrls[name]).port), '127.0.0.1');
    },
    async close() {
      for (const g of gateways) await g.close();
      for (const s of [...Object.values(subgraphs), ...replicas]) await s.close();
      await closeDeps();
    },
  };
}

export type Stack = Awaited<ReturnType<typeof startStack>>;

/** A signed-in person for tests: a unique id per call, so tests never share rows. */
let people = 0;
export async function person(name = 'Person'): Promise<Viewer & { token: string }> {
  const id = `u${Date.now().toString(36)}${(++people).toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const viewer = { id, name, handle: `${name.toLowerCase().replace(/\W/g, '')}${people}` };
  return { ...viewer, token: await signClientToken(TEST_JWT_SECRET, viewer) };
}

export function gatewayClient(url: string) {
  async function request<T = any>(
    who: { token: string } | null,
    query: string,
    variables?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<GraphQLResponse<T>> {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(who ? { authorization: `Bearer ${who.token}` } : {}),
        ...headers,
      },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    let body: GraphQLResponse<T>;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`Non-JSON response (${res.status}) to:\n${query}\n${text}`);
    }
    return { ...body, status: res.status };
  }

  /** The data, or a failure that shows the query, the variables and the whole response. */
  async function expectData<T = any>(who: { token: string } | null, query: string, variables?: Record<string, unknown>): Promise<T> {
    const res = await request<T>(who, query, variables);
    if (res.errors?.length || !res.data) {
      throw new Error(`Expected data.\nQuery: ${query}\nVariables: ${JSON.stringify(variables)}\nResponse: ${JSON.stringify(res, null, 2)}`);
    }
    return res.data;
  }

  /** The response, which must carry an error with `code`; shows everything when it does not. */
  async function expectError(who: { token: string } | null, query: string, variables: Record<string, unknown> | undefined, code: string) {
    const res = await request(who, query, variables);
    if (!res.errors?.some((e) => e.extensions?.code === code)) {
      throw new Error(`Expected an error with code ${code}.\nQuery: ${query}\nVariables: ${JSON.stringify(variables)}\nResponse: ${JSON.stringify(res, null, 2)}`);
    }
    return res;
  }

  const wsUrl = url.replace(/^http/, 'ws');
  const sockets: Client[] = [];

  /** A graphql-ws connection authenticated in connection_init, as a browser client would. */
  function connect(who: { token: string } | null, extra: Partial<Parameters<typeof createClient>[0]> = {}): Client {
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: who ? { authorization: `Bearer ${who.token}` } : {},
      ...extra,
    });
    sockets.push(client);
    return client;
  }

  /** Subscribes and collects every result; `next(n)` waits (bounded) until n have arrived. */
  function subscribe(client: Client, query: string, variables?: Record<string, unknown>) {
    const results: GraphQLResponse[] = [];
    let done: { error?: unknown } | undefined;
    let wake: () => void = () => {};
    const unsubscribe = client.subscribe(
      { query, variables },
      {
        next: (r) => {
          results.push(r as GraphQLResponse);
          wake();
        },
        error: (error) => {
          done = { error };
          wake();
        },
        complete: () => {
          done = {};
          wake();
        },
      },
    );
    const waitFor = async (predicate: () => boolean, what: string, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) {
          throw new Error(`Timed out waiting for ${what}.\nSubscription: ${query}\nVariables: ${JSON.stringify(variables)}\nGot: ${JSON.stringify(results, null, 2)}\nEnded: ${JSON.stringify(done)}`);
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
    };
    return {
      results,
      get ended() {
        return done;
      },
      /** Waits until at least `n` results have arrived and returns them all. */
      async next(n = results.length + 1, timeoutMs?: number) {
        await waitFor(() => results.length >= n, `${n} results`, timeoutMs);
        return results;
      },
      /** Waits until the server ends the subscription (complete or error). */
      async end(timeoutMs?: number) {
        await waitFor(() => done !== undefined, 'the end of the subscription', timeoutMs);
        return done!;
      },
      unsubscribe,
    };
  }

  return {
    request,
    expectData,
    expectError,
    connect,
    subscribe,
    async closeSockets() {
      await Promise.all(sockets.splice(0).map((s) => s.dispose()));
    },
  };
}
