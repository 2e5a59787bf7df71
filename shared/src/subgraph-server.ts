import { createServer, type Server } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import express from 'express';
import { GraphQLError, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { createAccessGrants } from './access-grant';
import { createForwardedUserVerifier, FORWARDED_USER_HEADER } from './auth';
import { createBaseContext, type BaseContext, type ServiceDeps } from './context';
import { documentCache } from './document-cache';
import { createAdmissionServer } from './admission-server';
import { ADMISSION_PATH, LIVE_MARKER, LIVE_MARKER_EXTENSION } from './live-admission';
import { formatServiceError } from './format-error';
import { graphqlHttpHandler, MAX_SUBGRAPH_BATCH, REQUEST_ID_HEADER, routeGraphQL } from './graphql-http';
import { closeServer, listen } from './http';

export interface SubgraphServerOptions<C extends BaseContext> {
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<C>;
  deps: ServiceDeps;
  gatewaySecret: string;
  production: boolean;
  /** Adds the subgraph's own per-operation state (its DataLoaders) to the base context. */
  extendContext: (base: BaseContext) => C;
}

export interface SubgraphServer {
  readonly name: string;
  readonly schema: GraphQLSchema;
  readonly httpServer: Server;
  /** Resolves to the subgraph's /graphql URL. */
  listen(port: number, host: string): Promise<string>;
  close(): Promise<void>;
}

/** The caller and request id an operation of a batch names in its extensions, if it does. */
function batchedCallerOf(operation: unknown): { caller?: string; requestId?: string } {
  const extensions = (operation as { extensions?: unknown } | null | undefined)?.extensions as Record<string, unknown> | null | undefined;
  const caller = extensions?.[FORWARDED_USER_HEADER];
  const requestId = extensions?.[REQUEST_ID_HEADER];
  return {
    caller: typeof caller === 'string' ? caller : undefined,
    requestId: typeof requestId === 'string' ? requestId : undefined,
  };
}

/**
 * Builds (does not start) one subgraph: Apollo Server over HTTP and graphql-ws on the same
 * `/graphql` path, `/health` and `/ready`. Every operation, over either transport, must carry
 * the gateway's signed user token; the gateway is the only door.
 */
export function createSubgraphServer<C extends BaseContext>(options: SubgraphServerOptions<C>): SubgraphServer {
  const { deps, name } = options;
  const schema = buildSubgraphSchema([{ typeDefs: options.typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> }]);
  const verifyForwardedUser = createForwardedUserVerifier(options.gatewaySecret);
  const grants = createAccessGrants(options.gatewaySecret);
  const formatError = formatServiceError(deps.logger);

  const app = express();
  // Its request listener is added below, once Apollo Server (which drains this server) exists.
  const httpServer = createServer();
  const wsServer = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const documents = documentCache((forSchema, query) => {
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (err) {
      return { errors: [new GraphQLError((err as Error).message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })] };
    }
    const errors = validate(forSchema, document);
    if (errors.length === 0) return { document };
    return { errors: errors.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })) };
  });
  const wsCleanup = useServer<{ [FORWARDED_USER_HEADER]?: string }>(
    {
      schema,
      onConnect: async (ctx) => {
        try {
          await verifyForwardedUser(ctx.connectionParams?.[FORWARDED_USER_HEADER]);
          return true;
        } catch {
          return false;
        }
      },
      onSubscribe: async (_ctx, _id, payload) => {
        try {
          await verifyForwardedUser(payload.extensions?.[FORWARDED_USER_HEADER] as string | undefined);
        } catch (err) {
          return [err as GraphQLError];
        }
        // The gateway sends the same few operations for every subscriber.
        const checked = documents.get(schema, payload.query);
        if ('errors' in checked) return checked.errors;
        return { schema, document: checked.document, operationName: payload.operationName, variableValues: payload.variables };
      },
      context: async (_ctx, _id, payload) => {
        const viewer = await verifyForwardedUser(payload.extensions?.[FORWARDED_USER_HEADER] as string | undefined);
        return options.extendContext(createBaseContext(deps, viewer, undefined, grants));
      },
      onOperation: (ctx, id, payload, _args, result) => {
        if (payload.extensions?.[LIVE_MARKER_EXTENSION] === true && Symbol.asyncIterator in Object(result)) {
          ctx.extra.socket.send(JSON.stringify({ id, type: 'next', payload: LIVE_MARKER }));
        }
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatError(e, e)),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((e) => formatError(e.toJSON(), e)) } : undefined,
    },
    wsServer,
  );
  // The subscribe resolvers reach for more than the base context (voice's `signals` reads a
  // seat through its loader), so admissions get the subgraph's whole context; nothing keeps it
  // past the subscribe resolver (watchAccess holds only what it reads), so it costs no memory.
  const admissions = createAdmissionServer({
    schema,
    checkDocument: documents.get,
    verifyForwardedUser,
    admissionContext: (viewer) => options.extendContext({ ...createBaseContext(deps, viewer, undefined, grants), liveAdmission: true }),
    formatError,
    logger: deps.logger,
  });
  // Both WebSocket endpoints share the HTTP server, routed by path (a `path` option per
  // WebSocketServer would have each refuse the other's upgrades with a 400).
  httpServer.on('upgrade', (req, socket, head) => {
    const { pathname } = new URL(req.url ?? '/', 'http://subgraph');
    if (pathname === '/graphql') wsServer.handleUpgrade(req, socket, head, (ws) => wsServer.emit('connection', ws, req));
    else if (pathname === ADMISSION_PATH) void admissions.handleUpgrade(req, socket, head);
    else socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });

  const server = new ApolloServer<C>({
    schema,
    csrfPrevention: true,
    // Shutdown is ours (stopOnSignals): Apollo's own handler would re-raise the signal mid-drain.
    stopOnTerminationSignals: false,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    formatError,
    // The gateway sends one client request's parallel queries to a subgraph as one batch; they
    // share one context, so its loaders answer them together (gateway/src/datasource.ts).
    allowBatchedHttpRequests: true,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      deps.metrics.apolloPlugin(name),
      // Federated traces (ftv1) feed Apollo Studio, which this deployment does not report to.
      ApolloServerPluginInlineTraceDisabled(),
      // No subgraph sets cache hints, and the plugin wraps every resolver call to collect them.
      ApolloServerPluginCacheControlDisabled(),
      { async serverWillStart() { return { async drainServer() { await wsCleanup.dispose(); } }; } },
    ],
  });

  const serveGraphQL = graphqlHttpHandler(server, {
    maxBodyBytes: 1024 * 1024,
    maxBatch: MAX_SUBGRAPH_BATCH,
    // A batch of concurrent client requests names each operation's caller (and request id) in
    // its extensions, signed by the gateway as the header is. Operations of one caller share a
    // context (and its loaders), with the first one's request id, as a batch of one caller does;
    // loaders of reads that answer every caller alike serve the whole request (`memo`).
    contextKey: (operation) => batchedCallerOf(operation).caller ?? '',
    context: async (req, operation, memo) => {
      const batched = batchedCallerOf(operation);
      const caller = batched.caller ?? (req.headers[FORWARDED_USER_HEADER] as string | undefined);
      const viewer = await verifyForwardedUser(caller).catch((err: GraphQLError) => {
        throw new GraphQLError(err.message, {
          extensions: { ...err.extensions, http: { status: 401 } },
        });
      });
      const requestId = batched.caller === undefined ? (req.headers[REQUEST_ID_HEADER] as string | undefined) : batched.requestId;
      return options.extendContext(createBaseContext(deps, viewer, requestId, grants, memo));
    },
  });
  httpServer.on('request', routeGraphQL(serveGraphQL, app));

  app.get('/health', (_req, res) => void res.json({ status: 'ok', service: name }));
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  app.get('/ready', async (_req, res) => {
    const checks = await Promise.allSettled([deps.prisma.$queryRaw`SELECT 1`, deps.pubsub.ping()]);
    const [database, pubsub] = checks.map((c) => (c.status === 'fulfilled' ? 'ok' : 'down'));
    res.status(database === 'ok' && pubsub === 'ok' ? 200 : 503).json({ service: name, database, pubsub });
  });

  let started: Promise<void> | undefined;
  return {
    name,
    schema,
    httpServer,
    async listen(port, host) {
      await (started ??= server.start());
      const address = await listen(httpServer, port, host);
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return `http://${shownHost}:${address.port}/graphql`;
    },
    async close() {
      for (const client of wsServer.clients) client.close(1001, 'Going away');
      admissions.close();
      await Promise.all([server.stop(), closeServer(httpServer)]);
    },
  };
}
