import type { QueryResolvers } from '../__generated__/resolvers-types';
import { searchMessages } from '../domain/search';

export const Query: QueryResolvers = {
  async message(_root, { id }, ctx) {
    ctx.access.requireViewer();
    const message = await ctx.loaders.messageById.load(id);
    return message && (await ctx.access.canRead(message.channelId)) ? message : null;
  },
  searchMessages: (_root, args, ctx) => searchMessages(ctx, args),
};
