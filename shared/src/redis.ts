import Redis from 'ioredis';
import type { Logger } from './logger';

export type { Redis };

/**
 * The command connection for caches and rate limits (pub/sub keeps its own two). Commands
 * fail fast while Redis is away instead of queueing without bound, so callers can fall back.
 */
export function createRedis(url: string, logger: Logger, name = 'commons'): Redis {
  const redis = new Redis(url, { connectionName: `${name}:cmd`, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis command connection error'));
  return redis;
}
