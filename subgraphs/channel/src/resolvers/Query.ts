import type { QueryResolvers } from '../__generated__/resolvers-types';
import { listChannels } from '../domain/channels';
import { readableChannel } from './Channel';

export const Query: QueryResolvers = {
  async me(_parent, _args, ctx) {
    if (!ctx.viewer) return null;
    const viewer = await ctx.requireViewer();
    return ctx.loaders.user.load(viewer.id);
  },
  async user(_parent, { id }, ctx) {
    await ctx.requireViewer();
    return ctx.loaders.user.load(id);
  },
  channel: (_parent, { id }, ctx) => readableChannel(ctx, id),
  async channels(_parent, args, ctx) {
    const viewer = await ctx.requireViewer();
    return listChannels(ctx.prisma, viewer.id, args);
  },
};
