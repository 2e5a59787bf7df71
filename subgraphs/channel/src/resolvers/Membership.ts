import type { MembershipResolvers } from '../__generated__/resolvers-types';

/** Foreign keys guarantee both rows; a miss means a concurrent delete, reported as an error. */
function present<T>(row: T | null, what: string): T {
  if (!row) throw new Error(`${what} of a membership vanished`);
  return row;
}

export const Membership: MembershipResolvers = {
  user: async (m, _args, ctx) => present(await ctx.loaders.user.load(m.userId), 'User'),
  channel: async (m, _args, ctx) => present(await ctx.loaders.channel.load(m.channelId), 'Channel'),
};
