import type { Channel as ChannelRow } from '@commons/shared/src/generated/prisma/client';
import type { ChannelContext } from '../context';
import type { ChannelResolvers } from '../__generated__/resolvers-types';
import { listMembers } from '../domain/memberships';

/** The channel, or null both when it is missing and when the caller may not see it. */
export async function readableChannel(ctx: ChannelContext, id: string): Promise<ChannelRow | null> {
  await ctx.requireViewer();
  // Both at once, so a batch of references costs one row query, not one per visibility outcome.
  const [visible, channel] = await Promise.all([ctx.access.canRead(id), ctx.loaders.channel.load(id)]);
  return visible ? channel : null;
}

export const Channel: ChannelResolvers = {
  __resolveReference: (ref, ctx) => readableChannel(ctx, ref.id),
  async members(channel, args, ctx) {
    await ctx.access.requireReadable(channel.id);
    return listMembers(ctx.prisma, channel.id, args);
  },
  viewerMembership: (channel, _args, ctx) =>
    ctx.viewer ? ctx.loaders.membership.load({ channelId: channel.id, userId: ctx.viewer.id }) : null,
};
