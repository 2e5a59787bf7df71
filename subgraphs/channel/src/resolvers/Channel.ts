import type { Channel as ChannelRow } from '@commons/shared/src/generated/prisma/client';
import type { ChannelContext } from '../context';
import type { ChannelResolvers } from '../__generated__/resolvers-types';
import { listMembers } from '../domain/memberships';

/** The channel, or null both when it is missing and when the caller may not see it. */
export async function readableChannel(ctx: ChannelContext, id: string): Promise<ChannelRow | null> {
  await ctx.requireViewer();
  // The row's statement also reads the viewer's membership into ctx.access (see loaders.ts), so
  // a batch of references costs one statement and the check after it none.
  const channel = await ctx.loaders.channel.load(id);
  return channel && (await ctx.access.canRead(id)) ? channel : null;
}

export const Channel: ChannelResolvers = {
  __resolveReference: (ref, ctx) => readableChannel(ctx, ref.id),
  async members(channel, args, ctx) {
    await ctx.access.requireReadable(channel.id);
    // The page reads its members' users too: Membership.user then costs no statement of its own.
    return listMembers(ctx.prisma, channel.id, args, (user) => ctx.loaders.user.prime(user.id, user));
  },
  viewerMembership: (channel, _args, ctx) => ctx.access.membership(channel.id),
  // For the other subgraphs' channel fields, which require it (see access-grant.ts).
  accessGrant: (channel, _args, ctx) => ctx.access.grant(channel.id),
};
