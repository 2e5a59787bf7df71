import DataLoader from 'dataloader';
import { isUuid } from '@commons/shared';
import type { Post, PrismaClient, Thread } from '@commons/shared/src/generated/prisma/client';
import { loadPostPages, type PostPageKey } from './domain/posts';
import { loadThreadPages, type ThreadPageKey } from './domain/threads';

/**
 * Per-operation loaders, results in key order: every entity reference and every list a
 * response can reach costs one query per batch, whatever the number of parents.
 */
export interface BoardLoaders {
  /** Threads by id; null for a missing thread or a malformed id. */
  threadById: DataLoader<string, Thread | null>;
  /** Posts by id; null for a missing post or a malformed id. */
  postById: DataLoader<string, Post | null>;
  /** `Channel.threads` pages (rows fetched with one extra), for many channels at once. */
  threadsPage: DataLoader<ThreadPageKey, Thread[], string>;
  /** `Thread.posts` pages (rows fetched with one extra), for many threads at once. */
  postsPage: DataLoader<PostPageKey, Post[], string>;
  /** Forgets every row read, so a long-lived context (a subscription) reads fresh ones. */
  clearAll(): void;
}

// Batches are dispatched once the event loop's current turn is done, not on the next tick:
// resolvers that reach a load through a different number of (cached) awaits, such as the
// access checks of public and private channels, still land in the same batch.
const batchScheduleFn = (dispatch: () => void) => void setImmediate(dispatch);

function byId<T extends { id: string }>(find: (ids: string[]) => Promise<T[]>): DataLoader<string, T | null> {
  return new DataLoader(async (ids) => {
    const valid = [...new Set(ids.filter(isUuid))];
    const rows = valid.length > 0 ? await find(valid) : [];
    const found = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => found.get(id) ?? null);
  }, { batchScheduleFn });
}

export function createLoaders(prisma: PrismaClient): BoardLoaders {
  const loaders = {
    threadById: byId((ids) => prisma.thread.findMany({ where: { id: { in: ids } } })),
    postById: byId((ids) => prisma.post.findMany({ where: { id: { in: ids } } })),
    threadsPage: new DataLoader((keys: readonly ThreadPageKey[]) => loadThreadPages(prisma, keys), { cacheKeyFn: (key) => JSON.stringify(key), batchScheduleFn }),
    postsPage: new DataLoader((keys: readonly PostPageKey[]) => loadPostPages(prisma, keys), { cacheKeyFn: (key) => JSON.stringify(key), batchScheduleFn }),
    clearAll() {
      loaders.threadById.clearAll();
      loaders.postById.clearAll();
      loaders.threadsPage.clearAll();
      loaders.postsPage.clearAll();
    },
  };
  return loaders;
}
