import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { rateLimited } from './errors';
import type { Redis } from './redis';

export interface RateLimitOptions {
  /** Names the limit; keys of different limits never collide. */
  name: string;
  /** The burst: how many actions are allowed at once. */
  burst: number;
  /** The sustained rate, per second, at which the burst refills. */
  perSecond: number;
}

/**
 * A token-bucket-like limit per key (usually a user id), shared by every replica through
 * Redis, or per process where there is no Redis (embedded mode). rate-limiter-flexible does
 * the atomic bookkeeping; while Redis is unreachable an in-memory limiter stands in, so a
 * Redis outage neither blocks writes nor lifts every limit.
 */
export function createRateLimiter(redis: Redis | null, options: RateLimitOptions) {
  // A window of burst/perSecond seconds holding `burst` points refills at `perSecond` on average.
  const duration = Math.max(1, Math.round(options.burst / options.perSecond));
  const common = { keyPrefix: `rl:${options.name}`, points: options.burst, duration };
  const limiter = redis
    ? new RateLimiterRedis({ ...common, storeClient: redis, insuranceLimiter: new RateLimiterMemory(common) })
    : new RateLimiterMemory(common);

  return {
    /** Takes one action for `key`, or throws RATE_LIMITED with `retryAfterMs`. */
    async consume(key: string): Promise<void> {
      try {
        await limiter.consume(key);
      } catch (res) {
        if (res instanceof RateLimiterRes) throw rateLimited(Math.max(1, res.msBeforeNext));
        throw res;
      }
    },
    /** Takes one action for `key` if the limit allows it now: whether it did. */
    async tryConsume(key: string): Promise<boolean> {
      try {
        await limiter.consume(key);
        return true;
      } catch (res) {
        if (res instanceof RateLimiterRes) return false;
        throw res;
      }
    },
    /** Gives back an action taken for something that then did not happen. */
    async refund(key: string): Promise<void> {
      await limiter.reward(key, 1);
    },
  };
}

export type RateLimiter = ReturnType<typeof createRateLimiter>;
