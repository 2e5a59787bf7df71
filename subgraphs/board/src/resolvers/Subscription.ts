import { guardChannelStream, notFound, topics } from '@commons/shared';
import type { Post, Thread } from '@commons/shared/src/generated/prisma/client';
import type { SubscriptionResolvers } from '../__generated__/resolvers-types';
import type { BoardContext } from '../context';
import { toPostRow, toThreadRow, type PostEvent, type ThreadEvent } from '../domain/events';
import { readableThread } from '../domain/threads';

// Both check access at subscribe time, answering NOT_FOUND for a missing channel or thread
// and for one the caller cannot read alike, so a subscriber learns nothing, and again as events
// flow (guardChannelStream): a member removed from a private channel stops receiving at once.
// The queue returned is active on the broker before subscribe resolves, and its return()
// (graphql-js calls it when the client unsubscribes) releases the broker subscription at once.
export const Subscription: SubscriptionResolvers = {
  threadActivity: {
    async subscribe(_root, { channelId }, ctx) {
      await ctx.access.requireReadable(channelId);
      return guardChannelStream(ctx, channelId, () => ctx.pubsub.subscribe<ThreadEvent>(topics.threadActivity(channelId)));
    },
    // One context serves the whole stream: drop cached rows so each event's fields read fresh ones.
    resolve: (event: ThreadEvent, _args: unknown, ctx: BoardContext): Thread => {
      ctx.loaders.clearAll();
      return toThreadRow(event);
    },
  },
  postAdded: {
    async subscribe(_root, { threadId }, ctx) {
      ctx.access.requireViewer();
      const thread = await readableThread(ctx, threadId);
      if (!thread) throw notFound('Thread');
      return guardChannelStream(ctx, thread.channelId, () => ctx.pubsub.subscribe<PostEvent>(topics.postAdded(threadId)));
    },
    resolve: (event: PostEvent, _args: unknown, ctx: BoardContext): Post => {
      ctx.loaders.clearAll();
      return toPostRow(event);
    },
  },
};
