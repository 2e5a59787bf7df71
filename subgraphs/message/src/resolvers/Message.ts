import type { MessageResolvers } from '../__generated__/resolvers-types';
import { messageCursor } from '../domain/history';

export const Message: MessageResolvers = {
  /** Null when the message is missing or in a channel the caller cannot read. */
  async __resolveReference(ref, ctx) {
    const message = await ctx.loaders.messageById.load(ref.id);
    return message && (await ctx.access.canRead(message.channelId)) ? message : null;
  },
  // A live message carries what the message subscriptions provide of its channel and author (see LiveMessage);
  // the channel subgraph resolves the rest through federation.
  channel: (message) => (message.channelName === undefined ? { id: message.channelId } : { id: message.channelId, name: message.channelName }),
  author: (message) => ({ id: message.authorId, ...message.authorProfile }),
  // Same channel as the reply (checked at send), so as readable; a deleted parent shows as deleted.
  replyTo: (message, _args, ctx) => (message.replyToId ? ctx.loaders.messageById.load(message.replyToId) : null),
  async reactions(message, _args, ctx) {
    if (message.deletedAt) return [];
    const counts = await ctx.loaders.reactionCounts.load(message.id);
    // Only a message with reactions needs to know which are the viewer's.
    const mine = counts.length > 0 ? await ctx.loaders.viewerReactions.load(message.id) : new Set<string>();
    return counts.map(({ emoji, count }) => ({ emoji, count, viewerHasReacted: mine.has(emoji) }));
  },
  pinned: (message) => message.pinnedAt !== null,
  edits: (message, _args, ctx) => (message.deletedAt ? [] : ctx.loaders.editsByMessage.load(message.id)),
  cursor: (message) => messageCursor(message),
};
