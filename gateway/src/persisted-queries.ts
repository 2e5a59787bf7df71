import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ApolloServerPlugin } from '@apollo/server';
import type { KeyValueCache } from '@apollo/utils.keyvaluecache';
import { ErrorsAreMissesCache, InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import type { Redis } from '@commons/shared';
import { GraphQLError } from 'graphql';

const APQ_TTL_S = 7 * 24 * 3600;

/**
 * Apollo's KeyValueCache over the process's ioredis connection. A few lines here rather than
 * Keyv and @keyv/redis, which would open a second Redis client of another library.
 */
class RedisKeyValueCache implements KeyValueCache<string> {
  constructor(private readonly redis: Redis) {}

  async get(key: string) {
    return (await this.redis.get(`apq:${key}`)) ?? undefined;
  }

  async set(key: string, value: string, options?: { ttl?: number | null }) {
    await this.redis.set(`apq:${key}`, value, 'EX', options?.ttl ?? APQ_TTL_S);
  }

  async delete(key: string) {
    await this.redis.del(`apq:${key}`);
  }
}

/** The registered operations of the allow-list mode: a read-only cache nobody can add to. */
class ManifestCache implements KeyValueCache<string> {
  constructor(private readonly byHash: ReadonlyMap<string, string>) {}

  async get(key: string) {
    return this.byHash.get(key.replace(/^apq:/, ''));
  }

  async set() {}

  async delete() {}
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Reads an Apollo persisted-query manifest (`{ operations: [{ id, body }] }`) or a plain `{ hash: body }` map. */
export function loadManifest(path: string): Map<string, string> {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as { operations?: Array<{ body: string }> } | Record<string, string>;
  const bodies = Array.isArray(raw.operations) ? raw.operations.map((o) => o.body) : Object.values(raw as Record<string, string>);
  return new Map(bodies.map((body) => [sha256(body), body]));
}

export interface PersistedQueriesOptions {
  redis: Redis | null;
  /** When set, only these operations run (allow-list mode). */
  allowList?: ReadonlyMap<string, string>;
}

/**
 * Automatic persisted queries (clients send a hash, and the query text only once) cached in
 * Redis so every gateway replica knows every hash; in memory in embedded mode. In allow-list
 * mode the cache is the manifest, and a request that is not one of its hashes is refused.
 */
export function persistedQueries({ redis, allowList }: PersistedQueriesOptions) {
  if (allowList) {
    const plugin: ApolloServerPlugin = {
      // By this hook the source is resolved (from the text, or from the manifest by hash), and
      // a GraphQLError thrown here reaches the client with its code.
      async requestDidStart() {
        return {
          async didResolveOperation({ source }) {
            if (!allowList.has(sha256(source))) {
              throw new GraphQLError('Only registered operations run on this server', {
                extensions: { code: 'PERSISTED_QUERY_NOT_SUPPORTED', http: { status: 400 } },
              });
            }
          },
        };
      },
    };
    return { cache: new ManifestCache(allowList), plugin, allows: (query: string) => allowList.has(sha256(query)) };
  }
  const cache = redis ? new ErrorsAreMissesCache(new RedisKeyValueCache(redis)) : new InMemoryLRUCache<string>();
  return { cache, plugin: undefined, allows: () => true };
}
