import type { UserResolvers } from '../__generated__/resolvers-types';

export const User: UserResolvers = {
  async __resolveReference(ref, ctx) {
    await ctx.requireViewer();
    return ctx.loaders.user.load(ref.id);
  },
};
