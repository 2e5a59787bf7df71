import type { MessageResolvers } from '../__generated__/resolvers-types';
import { messageCursor } from '../domain/history';

export const Message: MessageResolvers = {
  /** Null when the message is missing or in a channel the caller cannot read. */
  async __resolveReference(ref, ctx) {
    const message = await ctx.loaders.messageById.load(ref.id);
    return message && (await ctx.access.canRead(message.channelId)) ? message : null;
  },
  channel: (message) => ({ id: message.channelId }),
  // The channel subgraph resolves the rest of User through federation.
  author: (message) => ({ id: message.authorId }),
  replyTo: (message, _args, ctx) => (message.replyToId ? ctx.loaders.messageById.load(message.replyToId) : null),
  cursor: (message) => messageCursor(message),
};
