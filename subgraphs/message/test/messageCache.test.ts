import { randomBytes, randomUUID } from 'node:crypto';
import { createLogger, type Redis as RedisClient } from '@commons/shared';
import Redis from 'ioredis';
import { TEST_REDIS_URL } from '../../../tests/testkit/database';
import { createMessagePageCache, type CachedPage } from '../src/domain/messageCache';

const logger = createLogger('message-cache-test', 'silent');
const page = (body: string): CachedPage => ({
  rows: [
    {
      id: randomUUID(), channelId: randomUUID(), seq: '1', authorId: 'u', body, clientId: null, replyToId: null,
      createdAt: new Date().toISOString(), editedAt: null, deletedAt: null, pinnedAt: null, pinnedById: null,
    },
  ],
  reactions: {},
});
const bodyOf = (cached: CachedPage | null) => cached?.rows[0].body ?? null;

let redis: RedisClient;
beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL, { keyPrefix: `test:${randomBytes(4).toString('hex')}:`, maxRetriesPerRequest: 1 });
});
afterAll(() => redis.quit());

// One suite, both implementations: what embedded mode uses must behave as Redis does.
describe.each([
  ['Redis', () => redis],
  ['memory', () => null],
])('the latest-page cache (%s)', (_name, redisOf) => {
  const make = () => createMessagePageCache({ redis: redisOf(), logger });

  it('misses, stores, then hits, and counts both', async () => {
    const cache = make();
    const channelId = randomUUID();
    const first = await cache.read(channelId);
    expect(first.page).toBeNull();
    await cache.store(channelId, first.version, page('hello'));
    expect(bodyOf((await cache.read(channelId)).page)).toBe('hello');
    expect(cache.stats()).toEqual({ hits: 1, misses: 1, hitRate: 0.5 });
  });

  it('misses after an invalidation', async () => {
    const cache = make();
    const channelId = randomUUID();
    await cache.store(channelId, (await cache.read(channelId)).version, page('old'));
    await cache.invalidate(channelId);
    expect((await cache.read(channelId)).page).toBeNull();
  });

  it('never lets a reader that raced a write store what it read before the write', async () => {
    const cache = make();
    const channelId = randomUUID();
    // The reader misses and reads the database (the old body)...
    const { version } = await cache.read(channelId);
    // ...meanwhile a write commits and invalidates...
    await cache.invalidate(channelId);
    // ...then the reader's store comes in late: refused.
    await cache.store(channelId, version, page('stale'));
    expect((await cache.read(channelId)).page).toBeNull();
    // A reader that started after the write stores as usual.
    const fresh = await cache.read(channelId);
    await cache.store(channelId, fresh.version, page('fresh'));
    expect(bodyOf((await cache.read(channelId)).page)).toBe('fresh');
  });

  it('keeps channels apart', async () => {
    const cache = make();
    const [a, b] = [randomUUID(), randomUUID()];
    await cache.store(a, (await cache.read(a)).version, page('in a'));
    await cache.store(b, (await cache.read(b)).version, page('in b'));
    await cache.invalidate(a);
    expect((await cache.read(a)).page).toBeNull();
    expect(bodyOf((await cache.read(b)).page)).toBe('in b');
  });
});

describe('the latest-page cache, shared by two replicas through Redis', () => {
  it('sees the other replica’s invalidation', async () => {
    const [one, two] = [createMessagePageCache({ redis, logger }), createMessagePageCache({ redis, logger })];
    const channelId = randomUUID();
    await one.store(channelId, (await one.read(channelId)).version, page('cached by one'));
    expect(bodyOf((await two.read(channelId)).page)).toBe('cached by one');
    await two.invalidate(channelId);
    expect((await one.read(channelId)).page).toBeNull();
  });

  it('replaces the version (with a TTL) and drops the page in one invalidation', async () => {
    const cache = createMessagePageCache({ redis, logger });
    const channelId = randomUUID();
    const { version } = await cache.read(channelId);
    await cache.store(channelId, version, page('cached'));
    expect(await redis.exists(`msgcache:{${channelId}}:page`)).toBe(1);
    await cache.invalidate(channelId);
    expect(await redis.exists(`msgcache:{${channelId}}:page`)).toBe(0);
    expect(await redis.get(`msgcache:{${channelId}}:version`)).not.toBe(version);
    expect(await redis.pttl(`msgcache:{${channelId}}:version`)).toBeGreaterThan(0);
  });
});

describe("the latest-page cache's parsed copies (Redis)", () => {
  it('serves an unchanged page from the copy this process parsed, and drops it once another replica writes', async () => {
    const [one, two] = [createMessagePageCache({ redis, logger }), createMessagePageCache({ redis, logger })];
    const channelId = randomUUID();
    await one.store(channelId, (await one.read(channelId)).version, page('first'));
    const read = (await one.read(channelId)).page;
    // The same parsed page again: the version matched, so Redis sent no page.
    expect((await one.read(channelId)).page).toBe(read);
    expect(bodyOf(read)).toBe('first');

    await two.invalidate(channelId);
    expect((await one.read(channelId)).page).toBeNull();
    await two.store(channelId, (await two.read(channelId)).version, page('second'));
    expect(bodyOf((await one.read(channelId)).page)).toBe('second');
  });

  it('keeps a copy no longer than Redis keeps the page', async () => {
    const cache = createMessagePageCache({ redis, logger });
    const channelId = randomUUID();
    await cache.store(channelId, (await cache.read(channelId)).version, page('short-lived'));
    await redis.pexpire(`msgcache:{${channelId}}:page`, 100);
    expect(bodyOf((await cache.read(channelId)).page)).toBe('short-lived');
    await new Promise((resolve) => setTimeout(resolve, 200));
    // No write happened, so the version still matches: only the copy's own expiry stops it.
    expect((await cache.read(channelId)).page).toBeNull();
  });
});

describe('the latest-page cache while Redis is unreachable', () => {
  it('answers a miss, stores nothing, and never throws', async () => {
    const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      const cache = createMessagePageCache({ redis: down, logger });
      const channelId = randomUUID();
      const { page: cached, version } = await cache.read(channelId);
      expect(cached).toBeNull();
      await expect(cache.store(channelId, version, page('x'))).resolves.toBeUndefined();
      await expect(cache.invalidate(channelId)).resolves.toBeUndefined();
      expect(cache.stats().misses).toBe(1);
    } finally {
      down.disconnect();
    }
  });
});
