import './federation-exports';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import path from 'node:path';
import { ApolloGateway, type SupergraphManager } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';
import {
  closeServer,
  createClientTokenVerifier,
  createForwardedUserSigner,
  formatServiceError,
  graphqlHttpHandler,
  listen,
  routeGraphQL,
  type Config,
  type Logger,
  type Metrics,
  type Redis,
} from '@commons/shared';
import { tracingEnabled } from '@commons/shared/src/tracing';
import cors from 'cors';
import express, { type ErrorRequestHandler } from 'express';
import { GraphQLError } from 'graphql';
import type { GatewayContext } from './context';
import { createSubgraphFetcher, ForwardingDataSource } from './datasource';
import { AdmissionSockets } from './subscriptions/admission';
import { SubscriptionHub } from './subscriptions/hub';
import { SupergraphPlanner } from './subscriptions/planner';
import { UpstreamSockets } from './subscriptions/upstream';
import { createGatewayWsServer, formatResult } from './subscriptions/ws-server';
import { createOperationLimits } from './limits';
import { loadManifest, persistedQueries } from './persisted-queries';
import { installResultShaping } from './result-shaping';
import { fileSupergraph } from './supergraph';

export interface GatewayOptions {
  config: Config;
  logger: Logger;
  /** Where each subgraph named in the supergraph is reached. */
  subgraphUrls: Record<string, string>;
  /** SDL or a manager; defaults to the composed file at config.gateway.supergraphPath (watched in development). */
  supergraph?: string | SupergraphManager;
  /** Shares persisted queries between replicas; null keeps them in memory. */
  redis?: Redis | null;
  metrics: Metrics;
}

export interface GatewayServer {
  readonly httpServer: Server;
  readonly hub: SubscriptionHub;
  /** Resolves to the gateway's /graphql URL. */
  listen(port: number, host: string): Promise<string>;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 100 * 1024;
const MAX_WS_PAYLOAD = 64 * 1024;
/** Unsent bytes a subscriber's socket may queue (a few hundred events) before it is closed. */
const MAX_SOCKET_BACKLOG = 1024 * 1024;

/** Builds (does not start) the gateway: HTTP and graphql-ws on /graphql, /health, /ready. */
export function createGateway({ config, logger, subgraphUrls, supergraph, redis = null, metrics }: GatewayOptions): GatewayServer {
  installResultShaping();
  const verifyAuthorization = createClientTokenVerifier(config.auth);
  const signForwardedUser = createForwardedUserSigner(config.auth.gatewaySecret);
  const formatError = formatServiceError(logger);
  const limits = createOperationLimits(config);
  const persisted = persistedQueries({
    redis,
    allowList: config.persistedQueriesOnly ? loadManifest(config.persistedQueriesManifest!) : undefined,
  });

  const fetcher = createSubgraphFetcher(config.gateway.subgraphTimeoutMs);
  // A batch across client requests would put every request's subgraph work in one request's trace.
  const acrossRequests = !tracingEnabled();
  const dataSources = Object.fromEntries(
    Object.entries(subgraphUrls).map(([name, url]) => [name, new ForwardingDataSource({ url, fetcher, subgraphName: name, metrics, acrossRequests })]),
  );
  // @apollo/gateway otherwise sends Apollo hourly usage data (uptime, CPU, OS) from a metrics
  // exporter of its own; this deployment reports only where its operators point it.
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  const gateway = new ApolloGateway({
    supergraphSdl:
      supergraph ??
      fileSupergraph(path.resolve(config.gateway.supergraphPath), { watch: !config.production, logger }),
    buildService: ({ name }) => {
      const dataSource = dataSources[name];
      if (!dataSource) throw new Error(`The supergraph names subgraph "${name}", which has no configured URL`);
      return dataSource;
    },
    logger,
  });

  let planner: SupergraphPlanner | undefined;
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    if (planner?.supergraphSdl !== coreSupergraphSdl) planner = new SupergraphPlanner(coreSupergraphSdl);
  });
  const currentPlanner = () => {
    if (!planner) throw new GraphQLError('The gateway is starting', { extensions: { code: 'UNAVAILABLE' } });
    return planner;
  };

  const upstream = new UpstreamSockets(subgraphUrls, () => signForwardedUser(null), logger);
  const admissions = new AdmissionSockets(subgraphUrls, () => signForwardedUser(null), logger);
  const hub = new SubscriptionHub({
    planner: currentPlanner,
    upstream,
    admissions,
    dataSources,
    signForwardedUser,
    logger,
    formatResult: (result) => formatResult(result, formatError),
    maxSocketBacklog: MAX_SOCKET_BACKLOG,
  });

  const app = express();
  app.disable('x-powered-by');
  // Its request listener is added below, once Apollo Server (which drains this server) exists.
  const httpServer = createServer();

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: config.introspection,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    validationRules: limits.apollo.validationRules,
    parseOptions: limits.parseOptions,
    persistedQueries: { cache: persisted.cache },
    // Shutdown is ours (stopOnSignals): Apollo's own handler would re-raise the signal mid-drain.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    formatError,
    plugins: [
      ...limits.apollo.plugins,
      metrics.apolloPlugin('gateway'),
      ...(persisted.plugin ? [persisted.plugin] : []),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      config.production
        ? ApolloServerPluginLandingPageProductionDefault({ footer: false })
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, footer: false }),
    ],
  });

  const ws = createGatewayWsServer({
    httpServer,
    planner: currentPlanner,
    hub,
    verifyAuthorization,
    signForwardedUser,
    formatError,
    logger,
    maxPayload: MAX_WS_PAYLOAD,
    checkOperation: (schema, query) =>
      persisted.allows(query)
        ? limits.checkOperation(schema, query)
        : { errors: [new GraphQLError('Only registered operations run on this server', { extensions: { code: 'PERSISTED_QUERY_NOT_SUPPORTED' } })] },
    checkCost: limits.checkCost,
    maxSocketsPerUser: config.limits.maxSocketsPerUser,
    maxSubscriptionsPerUser: config.limits.maxSubscriptionsPerUser,
    executeOperation: async (request, contextValue) => {
      const response = await apollo.executeOperation(request, { contextValue });
      if (response.body.kind !== 'single') {
        return { errors: [new GraphQLError('Incremental delivery is not supported over WebSocket')] };
      }
      return response.body.singleResult as never;
    },
  });

  app.get('/health', (_req, res) => void res.json({ status: 'ok', service: 'gateway' }));
  metrics.gauge('gateway_open_sockets', 'Open graphql-ws sockets', () => ws.stats().sockets);
  metrics.gauge('gateway_active_subscriptions', 'Live subscriptions of clients', () => ws.stats().subscriptions);
  metrics.gauge('gateway_subscription_admissions', 'Subscribers of shared streams admitted, or being admitted, by the owning subgraphs', () => admissions.size);
  metrics.gauge('gateway_subscription_pipelines', 'Upstream subscriptions: one per distinct operation and variables (per caller for @perViewer fields, per subscriber for replays)', () => hub.stats.pipelines);
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.get('/ready', async (_req, res) => {
    const subgraphs = Object.fromEntries(
      await Promise.all(
        Object.entries(subgraphUrls).map(async ([name, url]) => {
          const ok = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(2000) })
            .then((r) => r.ok)
            .catch(() => false);
          return [name, ok ? 'ok' : 'down'] as const;
        }),
      ),
    );
    const ready = planner !== undefined && Object.values(subgraphs).every((s) => s === 'ok');
    res.status(ready ? 200 : 503).json({ service: 'gateway', supergraph: planner ? 'ok' : 'loading', subgraphs });
  });

  // The demo web client, when built (`npm run build:web`), at `/` in development: `npm start`
  // then serves the whole product on one port.
  const webDist = path.resolve(__dirname, '../../web/dist');
  if (!config.production && existsSync(path.join(webDist, 'index.html'))) app.use('/', express.static(webDist));

  const corsOrigins = config.gateway.corsOrigins;
  const allowOrigin = (origin: string | undefined) =>
    !origin ||
    corsOrigins.includes(origin) ||
    (!config.production && /^https?:\/\/(localhost|127\.0\.0\.1)(:\d+)?$/.test(origin));

  const allowCors = cors<IncomingMessage>({ origin: (origin, cb) => cb(null, allowOrigin(origin)), credentials: true });
  const serveGraphQL = graphqlHttpHandler(apollo, {
    maxBodyBytes: MAX_BODY_BYTES,
    context: async (req) => {
      const requestId = (req.headers['x-request-id'] as string | undefined) ?? randomUUID();
      const viewer = await verifyAuthorization(req.headers.authorization).catch((err: GraphQLError) => {
        throw new GraphQLError(err.message, { extensions: { ...err.extensions, http: { status: 401 } } });
      });
      return { requestId, viewer, forwardedUser: await signForwardedUser(viewer) };
    },
  });
  httpServer.on('request', routeGraphQL((req, res) => allowCors(req, res, () => serveGraphQL(req, res)), app));
  app.use(jsonErrors);

  let started: Promise<void> | undefined;
  return {
    httpServer,
    hub,
    async listen(port, host) {
      await (started ??= apollo.start());
      const address = await listen(httpServer, port, host);
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return `http://${shownHost === '0.0.0.0' ? 'localhost' : shownHost}:${address.port}/graphql`;
    },
    async close() {
      hub.close();
      await ws.close();
      await upstream.close();
      await admissions.close();
      await Promise.all([apollo.stop(), closeServer(httpServer)]);
      await fetcher.close();
    },
  };
}

/** Failures outside /graphql (static files, probes) answer JSON with a code, never an HTML stack page. */
const jsonErrors: ErrorRequestHandler = (err, _req, res, _next) => {
  const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
  const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL_SERVER_ERROR';
  const message = status === 413 ? 'The request body is too large' : status < 500 ? 'The request could not be read' : 'Internal server error';
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
};
