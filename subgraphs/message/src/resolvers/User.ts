import type { UserResolvers } from '../__generated__/resolvers-types';
import type { MessageContext } from '../context';
import type { UserRef } from '../mappers';

// The fields the subscriptions provide (codegen leaves @external fields out of UserResolvers).
// The gateway asks for them only there: from the live message or typing notice, else (an event
// whose read of them failed, or from a replica of an older version) from the users table.
// Synchronous when carried: these run for every event of every pipeline.
async function profile(user: UserRef, ctx: MessageContext) {
  const row = await ctx.loaders.userById.load(user.id);
  if (!row) throw new Error(`user ${user.id} not found`);
  return row;
}

export const User: UserResolvers = {
  handle: (user: UserRef, _args: unknown, ctx: MessageContext) => user.handle ?? profile(user, ctx).then((p) => p.handle),
  displayName: (user: UserRef, _args: unknown, ctx: MessageContext) => user.displayName ?? profile(user, ctx).then((p) => p.displayName),
  avatarUrl: (user: UserRef, _args: unknown, ctx: MessageContext) => (user.avatarUrl !== undefined ? user.avatarUrl : profile(user, ctx).then((p) => p.avatarUrl)),
};
