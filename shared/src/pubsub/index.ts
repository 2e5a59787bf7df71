import type { Logger } from '../logger';
import { MemoryPubSub } from './memory';
import type { PubSub } from './pubsub';
import { RedisPubSub } from './redis';

export type { PubSub } from './pubsub';
export type { AsyncQueue } from './queue';
export { createAsyncQueue } from './queue';
export { MemoryPubSub } from './memory';
export { RedisPubSub } from './redis';
export * from './topics';

/** Redis when a URL is configured, else the in-process implementation (embedded mode only). */
export function createPubSub(options: { redisUrl?: string; prefix?: string; logger: Logger }): PubSub {
  if (!options.redisUrl) return new MemoryPubSub();
  return new RedisPubSub({ url: options.redisUrl, prefix: options.prefix ?? 'commons:', logger: options.logger });
}
export * from './publish';
