import type { Message } from '@commons/shared/src/generated/prisma/client';
import type { SubscriptionResolvers } from '../__generated__/resolvers-types';
import type { MessageContext } from '../context';
import { parseMessageCursor } from '../domain/history';
import { streamMessagesAdded } from '../domain/messageAdded';

export const Subscription: SubscriptionResolvers = {
  messageAdded: {
    // Checked once, at subscribe time: NOT_FOUND for a missing or invisible channel, so a
    // subscriber learns nothing and receives nothing.
    async subscribe(_root, { channelId, after }, ctx) {
      await ctx.access.requireReadable(channelId);
      const afterSeq = after == null ? undefined : parseMessageCursor(after, 'after');
      return streamMessagesAdded(ctx, channelId, afterSeq);
    },
    // One context serves the whole stream: drop cached rows so each event reads fresh ones.
    resolve: (message: Message, _args: unknown, ctx: MessageContext) => {
      ctx.loaders.messageById.clearAll();
      return message;
    },
  },
};
