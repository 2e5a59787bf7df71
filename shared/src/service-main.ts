import { loadConfig, type Config } from './config';
import type { ServiceDeps } from './context';
import { createLogger, type Logger } from './logger';
import { createMetrics } from './metrics';
import { createPrisma } from './prisma';
import { createPubSub } from './pubsub';
import { createRedis } from './redis';
import { stopTracing } from './tracing';

export interface Stoppable {
  close(): Promise<void>;
}

/** How long SIGTERM may take before the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 9000;

/**
 * Stops `parts` (in order) on SIGTERM/SIGINT, then exits; a second signal or the deadline
 * exits at once. The whole shutdown fits within the 10 s that orchestrators allow.
 */
export function stopOnSignals(logger: Logger, parts: Stoppable[]): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown deadline passed; exiting');
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    for (const part of parts) {
      await part.close().catch((err) => logger.error({ err }, 'error while shutting down'));
    }
    // Last, so the spans of the drained requests are exported too.
    await stopTracing();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

/**
 * Everything one service process needs from the environment (run mode 3: one service per
 * process, as containers run them). Such a process needs real Postgres and Redis: the
 * embedded database and in-process pub/sub only make sense inside `npm start`.
 */
export function createServiceDeps(service: string): { config: Config; deps: ServiceDeps; close: () => Promise<void> } {
  const config = loadConfig();
  const logger = createLogger(service, config.logLevel);
  if (!config.databaseUrl) throw new Error(`${service}: DATABASE_URL is required when a service runs on its own (npm start runs the embedded database)`);
  if (!config.redisUrl) logger.warn('REDIS_URL is not set: live events will not cross processes');
  const prisma = createPrisma({ url: config.databaseUrl, ...config.db });
  const pubsub = createPubSub({ redisUrl: config.redisUrl, logger });
  const redis = config.redisUrl ? createRedis(config.redisUrl, logger, service) : null;
  return {
    config,
    deps: { prisma, pubsub, redis, logger, metrics: createMetrics() },
    close: async () => {
      await pubsub.dispose();
      await redis?.quit().catch(() => {});
      await prisma.$disconnect();
    },
  };
}
