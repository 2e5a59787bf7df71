// Bench child: one gateway in front of the bench's subgraphs. argv[2] picks which:
//   ours   - createGateway from gateway/src/server.ts, production config, every feature it has on
//   apollo - stock @apollo/gateway: a plain ApolloGateway + ApolloServer standalone
//   hive   - Hive Gateway (@graphql-hive/gateway), its runtime served as its CLI serves it
// The peers get the minimum to work against our subgraphs, which answer only requests that
// carry the gateway-signed caller: they verify the client's JWT with the same function ours uses
// and send the signed header (stock Apollo in willSendRequest, Hive through propagateHeaders);
// Hive also signs its upstream graphql-ws subscriptions, for the caller of the client's
// connection_init. No limits, no metrics.
// Every gateway counts its subgraph fetches and the entity representations it sends.
import './gateway-preload';
import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { createGateway } from '@commons/gateway/src/server';
import { ForwardingDataSource } from '@commons/gateway/src/datasource';
import {
  createClientTokenVerifier,
  createForwardedUserSigner,
  createLogger,
  createMetrics,
  FORWARDED_USER_HEADER,
  loadConfig,
  type Viewer,
} from '@commons/shared';
import Redis from 'ioredis';
import { WebSocketServer } from 'ws';
import { serveChild } from '../lib/child';
import { env } from '../lib/env';

const kind = process.argv[2] as 'ours' | 'apollo' | 'hive';
const fetches = { count: 0, representations: 0 };

/** Counts a fetch and its entity representations (any list variable of `{ __typename }` objects: Hive names them its own way). */
function countFetch(variables: Record<string, unknown> | undefined) {
  fetches.count++;
  for (const value of Object.values(variables ?? {})) {
    if (Array.isArray(value) && value.length > 0 && (value[0] as { __typename?: unknown })?.__typename !== undefined) {
      fetches.representations += value.length;
    }
  }
}

/**
 * Counts every subgraph fetch of ours as sent: after each distinct entity is kept once, so its
 * private `send` (the bench may reach in; the product never does) rather than `process`.
 */
function instrumentOurDataSource() {
  type Send = (options: GraphQLDataSourceProcessOptions<Record<string, any>>, representations?: unknown[]) => Promise<unknown>;
  const proto = ForwardingDataSource.prototype as unknown as { send: Send };
  const original = proto.send;
  proto.send = function (this: unknown, options, representations) {
    const variables = options.request.variables as Record<string, unknown> | undefined;
    countFetch(representations ? { ...variables, representations } : variables);
    return original.call(this, options, representations);
  };
}

/** Counts every subgraph fetch of stock @apollo/gateway. */
function instrumentApolloDataSources() {
  const proto = RemoteGraphQLDataSource.prototype as unknown as {
    process: (options: GraphQLDataSourceProcessOptions<Record<string, any>>) => Promise<unknown>;
  };
  const original = proto.process;
  proto.process = function (this: unknown, options) {
    countFetch(options.request.variables as Record<string, unknown> | undefined);
    return original.call(this, options);
  };
}

serveChild(async () => {
  const e = env();
  const subgraphUrls = JSON.parse(process.env.BENCH_SUBGRAPH_URLS!) as Record<string, string>;
  const viewer = JSON.parse(process.env.BENCH_VIEWER!) as Viewer;
  // Composed once by the bench, so every gateway of a run serves the same graph.
  const sdl = readFileSync(process.env.BENCH_SUPERGRAPH_PATH!, 'utf8');
  const sign = createForwardedUserSigner(e.gatewaySecret);
  const verify = createClientTokenVerifier({ jwtSecret: e.jwtSecret });
  /** The peers' whole auth: the caller's JWT, verified once per client request, re-signed for the subgraphs. */
  const perRequest = new WeakMap<object, Promise<string>>();
  const forwardFor = (request: object, authorization: string | null | undefined) => {
    let signed = perRequest.get(request);
    if (!signed) {
      signed = (async () => sign(authorization ? await verify(authorization) : viewer))();
      perRequest.set(request, signed);
    }
    return signed;
  };
  const common = { counters: () => ({ ...fetches }) };

  if (kind === 'ours') {
    instrumentOurDataSource();
    const config = loadConfig({
      NODE_ENV: 'production',
      JWT_SECRET: e.jwtSecret,
      GATEWAY_SECRET: e.gatewaySecret,
      LOG_LEVEL: 'silent',
      ...JSON.parse(process.env.BENCH_GATEWAY_ENV ?? '{}'),
    });
    const redis = new Redis(e.redisUrl, { keyPrefix: e.prefix, maxRetriesPerRequest: 1 });
    const gateway = createGateway({ config, logger: createLogger('gateway', 'silent'), subgraphUrls, supergraph: sdl, redis, metrics: createMetrics() });
    const url = await gateway.listen(0, '127.0.0.1');
    return {
      info: { url },
      handlers: { ...common, hub: () => gateway.hub.stats },
      async close() {
        await gateway.close();
        await redis.quit().catch(() => {});
      },
    };
  }

  if (kind === 'apollo') {
    instrumentApolloDataSources();
    // The one addition stock Apollo needs here: our subgraphs only answer the signed header.
    class SignedDataSource extends RemoteGraphQLDataSource<{ authorization?: string }> {
      async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<{ authorization?: string }>) {
        request.http?.headers.set(FORWARDED_USER_HEADER, await forwardFor(context, context?.authorization));
      }
    }
    const gateway = new ApolloGateway({
      supergraphSdl: sdl,
      buildService: ({ name }) => new SignedDataSource({ url: subgraphUrls[name] }),
    });
    const server = new ApolloServer<{ authorization?: string }>({ gateway });
    const { url } = await startStandaloneServer(server, {
      listen: { port: 0, host: '127.0.0.1' },
      context: async ({ req }) => ({ authorization: req.headers.authorization }),
    });
    return { info: { url }, handlers: common, close: () => server.stop() };
  }

  if (kind === 'hive') {
    // Hive adds an abort listener per upstream request to a shared signal; its warning is noise here.
    setMaxListeners(1000);
    const { createGatewayRuntime, getGraphQLWSOptions } = await import('@graphql-hive/gateway');
    const { normalizeNodeRequest } = await import('@whatwg-node/server');
    const { useServer } = await import('graphql-ws/use/ws');
    // The composed supergraph carries placeholder URLs; point each join__graph at its subgraph.
    const withUrls = sdl.replace(/url: "http:\/\/([a-z]+)\.subgraph\.invalid\/graphql"/g, (_m, name: string) => `url: "${subgraphUrls[name]}"`);
    const runtime = createGatewayRuntime({
      supergraph: withUrls,
      logging: false,
      landingPage: false,
      graphiql: false,
      propagateHeaders: {
        fromClientToSubgraphs: ({ context }: { context: { benchForwardedUser?: string } }) => ({ [FORWARDED_USER_HEADER]: context.benchForwardedUser }),
      },
      // Subscriptions to the subgraphs over graphql-ws (their /graphql), authenticated as ours are.
      transportEntries: {
        '*.http': {
          options: {
            subscriptions: {
              kind: 'ws',
              location: '/graphql',
              options: { connectionParams: { [FORWARDED_USER_HEADER]: '{context.benchForwardedUser}' } },
            },
          },
        },
      },
      plugins: () => [
        {
          // Once per client operation: the JWT of the request (HTTP) or of connection_init (graphql-ws).
          async onContextBuilding({ context, extendContext }: { context: any; extendContext: (c: Record<string, unknown>) => void }) {
            const authorization = context.request?.headers?.get?.('authorization') ?? context.connectionParams?.authorization;
            extendContext({ benchForwardedUser: await forwardFor(context, authorization) });
          },
          onSubgraphExecute({ executionRequest, setExecutionRequest }: any) {
            countFetch(executionRequest.variables);
            if (executionRequest.operationType === 'subscription') {
              const token = executionRequest.context?.benchForwardedUser;
              setExecutionRequest({ ...executionRequest, extensions: { ...executionRequest.extensions, [FORWARDED_USER_HEADER]: token } });
            }
          },
        },
      ],
    } as never);
    const server = createServer(runtime);
    const wsServer = new WebSocketServer({ path: runtime.graphqlEndpoint, server });
    const ws = useServer(
      getGraphQLWSOptions(runtime as never, (ctx: any) => ({
        req: ctx.extra.request,
        socket: ctx.extra.socket,
        request: normalizeNodeRequest(ctx.extra.request, runtime.fetchAPI as never),
      })),
      wsServer,
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return {
      info: { url: `http://127.0.0.1:${port}${runtime.graphqlEndpoint}` },
      handlers: common,
      async close() {
        for (const c of wsServer.clients) c.terminate();
        await ws.dispose();
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
        await runtime.dispose();
      },
    };
  }
  throw new Error(`unknown gateway kind ${kind}`);
});
