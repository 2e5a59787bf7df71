import type { UserResolvers } from '../__generated__/resolvers-types';
import type { MessageContext } from '../context';
import type { UserRef } from '../mappers';

// The fields the subscriptions provide (codegen leaves @external fields out of UserResolvers).
// The gateway asks for them only there: from the live message or typing notice, else (a
// replayed message, or an event whose read of them failed) from the users table.
async function profile(user: UserRef, ctx: MessageContext) {
  const row = await ctx.loaders.userById.load(user.id);
  if (!row) throw new Error(`user ${user.id} not found`);
  return row;
}

export const User: UserResolvers = {
  handle: async (user: UserRef, _args: unknown, ctx: MessageContext) => user.handle ?? (await profile(user, ctx)).handle,
  displayName: async (user: UserRef, _args: unknown, ctx: MessageContext) => user.displayName ?? (await profile(user, ctx)).displayName,
  avatarUrl: async (user: UserRef, _args: unknown, ctx: MessageContext) => (user.avatarUrl !== undefined ? user.avatarUrl : (await profile(user, ctx)).avatarUrl),
};
