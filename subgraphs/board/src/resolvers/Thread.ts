import { parsePageArgs } from '@commons/shared';
import type { ThreadResolvers } from '../__generated__/resolvers-types';
import { parsePostCursor, postConnection } from '../domain/posts';
import { readableThread } from '../domain/threads';

const DEFAULT_PAGE_SIZE = 20;

export const Thread: ThreadResolvers = {
  /** Null when the thread is missing or in a channel the caller cannot read. */
  __resolveReference: (ref, ctx) => readableThread(ctx, ref.id),
  channel: (thread) => ({ id: thread.channelId }),
  // The channel subgraph resolves the rest of User through federation.
  author: (thread) => ({ id: thread.authorId }),
  tags: (thread) => thread.tags ?? [],
  async posts(thread, args, ctx) {
    // Every path to a thread checked already; this one is cached, and guards any new path.
    await ctx.access.requireReadable(thread.channelId);
    const page = parsePageArgs({ first: args.first, after: args.after }, DEFAULT_PAGE_SIZE);
    const afterSeq = page.direction === 'forward' && page.after !== undefined ? parsePostCursor(page.after) : 0;
    const rows = await ctx.loaders.postsPage.load({ threadId: thread.id, afterSeq, take: page.limit + 1 });
    return postConnection(rows, page);
  },
};
