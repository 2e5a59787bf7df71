import { z } from 'zod';

const DEV_JWT_SECRET = 'dev-only-jwt-secret-change-me-0123456789';
const DEV_GATEWAY_SECRET = 'dev-only-gateway-secret-change-me-0123456789';

const bool = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1');
const boolDefault = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => (v === undefined ? fallback : v === 'true' || v === '1'));
const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const list = (value: string) => value.split(',').map((v) => v.trim()).filter(Boolean);

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

    DATABASE_URL: z.string().url().optional(),
    DB_POOL_SIZE: positiveInt(10),
    DB_CONNECT_TIMEOUT_MS: positiveInt(5000),
    DB_PREPARED_STATEMENTS: boolDefault(true),
    REDIS_URL: z.string().url().optional(),
    DATA_DIR: z.string().default('.data'),
    EMBEDDED_PG_PORT: port(0),

    GATEWAY_HOST: z.string().default('0.0.0.0'),
    GATEWAY_PORT: port(4000),
    SUBGRAPH_HOST: z.string().default('127.0.0.1'),
    MESSAGE_PORT: port(8001),
    CHANNEL_PORT: port(8002),
    VOICE_PORT: port(8003),
    BOARD_PORT: port(8004),
    MESSAGE_URL: z.string().url().optional(),
    CHANNEL_URL: z.string().url().optional(),
    VOICE_URL: z.string().url().optional(),
    BOARD_URL: z.string().url().optional(),
    SUPERGRAPH_PATH: z.string().default('gateway/supergraph.graphql'),
    SUBGRAPH_TIMEOUT_MS: positiveInt(5000),

    JWT_SECRET: z.string().min(32).optional(),
    JWKS_URL: z.string().url().optional(),
    JWT_ISSUER: z.string().optional(),
    JWT_AUDIENCE: z.string().optional(),
    GATEWAY_SECRET: z.string().min(32).optional(),

    ALLOW_INTROSPECTION: bool,
    MAX_DEPTH: positiveInt(12),
    MAX_ALIASES: positiveInt(15),
    MAX_TOKENS: positiveInt(3000),
    MAX_DIRECTIVES: positiveInt(20),
    MAX_COST: positiveInt(20000),
    MAX_SOCKETS_PER_USER: positiveInt(10),
    MAX_SUBSCRIPTIONS_PER_USER: positiveInt(100),
    PERSISTED_QUERIES_ONLY: bool,
    PERSISTED_QUERIES_MANIFEST: z.string().optional(),
    CORS_ORIGINS: z.string().default('https://studio.apollographql.com'),

    STUN_URLS: z.string().default('stun:stun.l.google.com:19302'),
    TURN_URLS: z.string().optional(),
    TURN_SECRET: z.string().optional(),
    TURN_TTL_S: positiveInt(86400),
    LIVEKIT_URL: z.string().url().optional(),
    LIVEKIT_API_KEY: z.string().optional(),
    LIVEKIT_API_SECRET: z.string().optional(),
    LIVEKIT_TOKEN_TTL_S: positiveInt(600),
    VOICE_HEARTBEAT_TIMEOUT_MS: positiveInt(30000),
    VOICE_SWEEP_INTERVAL_MS: positiveInt(5000),
    VOICE_SIGNAL_BURST: positiveInt(60),
    VOICE_SIGNAL_PER_SECOND: positiveInt(20),
    SEND_RATE_BURST: positiveInt(20),
    SEND_RATE_PER_SECOND: z.coerce.number().positive().default(5),
  })
  .superRefine((env, ctx) => {
    if (env.PERSISTED_QUERIES_ONLY && !env.PERSISTED_QUERIES_MANIFEST)
      ctx.addIssue({ code: 'custom', path: ['PERSISTED_QUERIES_MANIFEST'], message: 'the allow-list mode needs the manifest of registered operations' });
    if (Boolean(env.TURN_URLS) !== Boolean(env.TURN_SECRET))
      ctx.addIssue({ code: 'custom', path: ['TURN_SECRET'], message: 'TURN_URLS and TURN_SECRET go together' });
    const livekit = [env.LIVEKIT_URL, env.LIVEKIT_API_KEY, env.LIVEKIT_API_SECRET].filter(Boolean).length;
    if (livekit !== 0 && livekit !== 3)
      ctx.addIssue({ code: 'custom', path: ['LIVEKIT_URL'], message: 'LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET go together' });
    if (env.NODE_ENV !== 'production') return;
    if (!env.JWT_SECRET && !env.JWKS_URL)
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'JWT_SECRET or JWKS_URL is required in production' });
    if (!env.GATEWAY_SECRET)
      ctx.addIssue({ code: 'custom', path: ['GATEWAY_SECRET'], message: 'GATEWAY_SECRET is required in production' });
  });

export type Env = z.input<typeof schema>;

/** The voice subgraph's settings: ICE servers, the media server, presence and signalling limits. */
export interface VoiceConfig {
  stunUrls: string[];
  /** TURN with time-limited credentials (coturn `use-auth-secret`); unset means STUN only. */
  turn?: { urls: string[]; secret: string; ttlS: number };
  /** The LiveKit server media tokens are minted for; unset means `mediaToken` is null. */
  livekit?: { url: string; apiKey: string; apiSecret: string; tokenTtlS: number };
  /** A participant without a heartbeat for this long is removed (LEFT). */
  heartbeatTimeoutMs: number;
  /** How often each voice replica looks for participants to remove. */
  sweepIntervalMs: number;
  /** Signals per participant: a burst, refilled at `perSecond`. */
  signalRateLimit: { burst: number; perSecond: number };
}

export interface Config {
  env: 'development' | 'production' | 'test';
  production: boolean;
  logLevel: string;
  /** Unset means the embedded PGlite server is started (run mode 1). */
  databaseUrl?: string;
  /** `preparedStatements`: see DatabaseOptions (shared/src/prisma.ts); never on the embedded database. */
  db: { poolSize: number; connectTimeoutMs: number; preparedStatements: boolean };
  /** Unset means the in-process pub/sub is used. */
  redisUrl?: string;
  dataDir: string;
  embeddedPgPort: number;
  gateway: { host: string; port: number; supergraphPath: string; subgraphTimeoutMs: number; corsOrigins: string[] };
  subgraphHost: string;
  subgraphs: Record<'message' | 'channel' | 'voice' | 'board', { port: number; url: string }>;
  auth: { jwtSecret?: string; jwksUrl?: string; issuer?: string; audience?: string; gatewaySecret: string };
  introspection: boolean;
  voice: VoiceConfig;
  /** Per-user limits on writes, shared by every replica through Redis: a burst, refilled at `perSecond`. */
  rateLimits: { sendMessage: { burst: number; perSecond: number } };
  /** Operation limits at the gateway, for HTTP and graphql-ws alike. */
  limits: {
    maxDepth: number;
    maxAliases: number;
    maxTokens: number;
    maxDirectives: number;
    maxCost: number;
    maxSocketsPerUser: number;
    maxSubscriptionsPerUser: number;
  };
  /** Run only operations registered as persisted queries (the allow-list mode). */
  persistedQueriesOnly: boolean;
  /** The registered operations (an Apollo persisted-query manifest), for the allow-list mode. */
  persistedQueriesManifest?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates the environment once, reporting every problem together; nothing else reads process.env
 * but the tracing preload (shared/src/tracing.ts) and the OpenTelemetry SDK, which read the
 * standard OTEL_* variables before this module loads.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  const subgraphUrl = (p: number) => `http://127.0.0.1:${p}/graphql`;
  return {
    env: e.NODE_ENV,
    production,
    logLevel: e.LOG_LEVEL,
    databaseUrl: e.DATABASE_URL,
    db: { poolSize: e.DB_POOL_SIZE, connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS, preparedStatements: e.DB_PREPARED_STATEMENTS },
    redisUrl: e.REDIS_URL,
    dataDir: e.DATA_DIR,
    embeddedPgPort: e.EMBEDDED_PG_PORT,
    gateway: {
      host: e.GATEWAY_HOST,
      port: e.GATEWAY_PORT,
      supergraphPath: e.SUPERGRAPH_PATH,
      subgraphTimeoutMs: e.SUBGRAPH_TIMEOUT_MS,
      corsOrigins: e.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean),
    },
    subgraphHost: e.SUBGRAPH_HOST,
    subgraphs: {
      message: { port: e.MESSAGE_PORT, url: e.MESSAGE_URL ?? subgraphUrl(e.MESSAGE_PORT) },
      channel: { port: e.CHANNEL_PORT, url: e.CHANNEL_URL ?? subgraphUrl(e.CHANNEL_PORT) },
      voice: { port: e.VOICE_PORT, url: e.VOICE_URL ?? subgraphUrl(e.VOICE_PORT) },
      board: { port: e.BOARD_PORT, url: e.BOARD_URL ?? subgraphUrl(e.BOARD_PORT) },
    },
    auth: {
      jwtSecret: e.JWT_SECRET ?? (e.JWKS_URL ? undefined : DEV_JWT_SECRET),
      jwksUrl: e.JWKS_URL,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      gatewaySecret: e.GATEWAY_SECRET ?? DEV_GATEWAY_SECRET,
    },
    introspection: !production || e.ALLOW_INTROSPECTION,
    voice: {
      stunUrls: list(e.STUN_URLS),
      turn: e.TURN_URLS && e.TURN_SECRET ? { urls: list(e.TURN_URLS), secret: e.TURN_SECRET, ttlS: e.TURN_TTL_S } : undefined,
      livekit:
        e.LIVEKIT_URL && e.LIVEKIT_API_KEY && e.LIVEKIT_API_SECRET
          ? { url: e.LIVEKIT_URL, apiKey: e.LIVEKIT_API_KEY, apiSecret: e.LIVEKIT_API_SECRET, tokenTtlS: e.LIVEKIT_TOKEN_TTL_S }
          : undefined,
      heartbeatTimeoutMs: e.VOICE_HEARTBEAT_TIMEOUT_MS,
      sweepIntervalMs: e.VOICE_SWEEP_INTERVAL_MS,
      signalRateLimit: { burst: e.VOICE_SIGNAL_BURST, perSecond: e.VOICE_SIGNAL_PER_SECOND },
    },
    rateLimits: { sendMessage: { burst: e.SEND_RATE_BURST, perSecond: e.SEND_RATE_PER_SECOND } },
    limits: {
      maxDepth: e.MAX_DEPTH,
      maxAliases: e.MAX_ALIASES,
      maxTokens: e.MAX_TOKENS,
      maxDirectives: e.MAX_DIRECTIVES,
      maxCost: e.MAX_COST,
      maxSocketsPerUser: e.MAX_SOCKETS_PER_USER,
      maxSubscriptionsPerUser: e.MAX_SUBSCRIPTIONS_PER_USER,
    },
    persistedQueriesOnly: e.PERSISTED_QUERIES_ONLY,
    persistedQueriesManifest: e.PERSISTED_QUERIES_MANIFEST,
  };
}
