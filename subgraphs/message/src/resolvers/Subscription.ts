import { guardChannelStream, type TypingNotice } from '@commons/shared';
import type { SubscriptionResolvers } from '../__generated__/resolvers-types';
import type { MessageContext } from '../context';
import { parseMessageCursor } from '../domain/history';
import { streamMessagesAdded } from '../domain/messageAdded';
import { toLiveMessage, type LiveMessage, type MessageEvent } from '../domain/messageRow';
import { streamMessagesUpdated, streamTyping } from '../domain/messageUpdated';

// Every subscription is checked at subscribe time: NOT_FOUND for a missing or invisible
// channel, so a subscriber learns nothing and receives nothing; and it ends (NOT_FOUND) once the
// subscriber may no longer read the channel (guardChannelStream). One context serves a whole
// stream, so each event drops what the loaders hold and reads fresh rows.
export const Subscription: SubscriptionResolvers = {
  messageAdded: {
    async subscribe(_root, { channelId, after }, ctx) {
      await ctx.access.requireReadable(channelId);
      const afterSeq = after == null ? undefined : parseMessageCursor(after, 'after');
      return guardChannelStream(ctx, channelId, () => streamMessagesAdded(ctx, channelId, afterSeq));
    },
    resolve: (message: LiveMessage, _args: unknown, ctx: MessageContext) => {
      ctx.loaders.clearAll();
      return message;
    },
  },
  messageUpdated: {
    async subscribe(_root, { channelId }, ctx) {
      await ctx.access.requireReadable(channelId);
      return streamMessagesUpdated(ctx, channelId);
    },
    resolve: (event: MessageEvent, _args: unknown, ctx: MessageContext) => {
      ctx.loaders.clearAll();
      return toLiveMessage(event);
    },
  },
  typing: {
    async subscribe(_root, { channelId }, ctx) {
      const viewer = ctx.access.requireViewer();
      await ctx.access.requireReadable(channelId);
      return streamTyping(ctx, channelId, viewer.id);
    },
    resolve: (notice: TypingNotice) => ({ channelId: notice.channelId, user: { id: notice.userId, ...notice.user }, at: notice.at }),
  },
};
