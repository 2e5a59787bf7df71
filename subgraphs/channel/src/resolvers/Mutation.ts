import { notFound, publishAfterCommit, topics, type MembershipChangedEvent } from '@commons/shared';
import type { ChannelContext } from '../context';
import type { MutationResolvers } from '../__generated__/resolvers-types';
import { archiveChannel, channelChanges, createChannel, updateChannel } from '../domain/channels';
import { addMember, removableBy, removeMember, setMemberRole } from '../domain/memberships';

/**
 * After a committed membership change: forget what this request read about the channel, and
 * tell live streams. Pub/sub failures are logged, never turned into a failed mutation.
 */
async function membershipChanged(ctx: ChannelContext, event: MembershipChangedEvent): Promise<void> {
  forgetChannel(ctx, event.channelId);
  await publishAfterCommit(ctx, topics.membershipChanged(event.channelId), event);
}

function forgetChannel(ctx: ChannelContext, channelId: string): void {
  ctx.access.clear(channelId);
  ctx.loaders.channel.clear(channelId);
}

export const Mutation: MutationResolvers = {
  async createChannel(_parent, { input }, ctx) {
    const viewer = await ctx.requireViewer();
    return createChannel(ctx.prisma, viewer.id, input);
  },

  async updateChannel(_parent, { id, name, topic }, ctx) {
    await ctx.requireViewer();
    const changes = channelChanges(name, topic);
    await ctx.access.requireMember(id, ['OWNER', 'ADMIN']);
    const channel = await updateChannel(ctx.prisma, id, changes);
    ctx.loaders.channel.clear(id).prime(id, channel);
    return channel;
  },

  async archiveChannel(_parent, { id }, ctx) {
    await ctx.requireViewer();
    await ctx.access.requireMember(id, ['OWNER']);
    const channel = await archiveChannel(ctx.prisma, id);
    forgetChannel(ctx, id);
    ctx.loaders.channel.prime(id, channel);
    return channel;
  },

  async joinChannel(_parent, { channelId }, ctx) {
    const viewer = await ctx.requireViewer();
    // NOT_FOUND for a PRIVATE channel the caller was not invited to: it stays invisible.
    await ctx.access.requireReadable(channelId);
    const { membership, added } = await addMember(ctx.prisma, channelId, viewer.id);
    if (added) await membershipChanged(ctx, { channelId, userId: viewer.id, change: 'JOINED' });
    return membership;
  },

  async leaveChannel(_parent, { channelId }, ctx) {
    const viewer = await ctx.requireViewer();
    if (!(await ctx.access.role(channelId))) return false;
    const removed = await removeMember(ctx.prisma, channelId, viewer.id);
    if (removed) await membershipChanged(ctx, { channelId, userId: viewer.id, change: 'LEFT' });
    return removed;
  },

  async inviteMember(_parent, { channelId, userId }, ctx) {
    await ctx.requireViewer();
    await ctx.access.requireMember(channelId, ['OWNER', 'ADMIN']);
    if (!(await ctx.loaders.user.load(userId))) throw notFound('User');
    const { membership, added } = await addMember(ctx.prisma, channelId, userId);
    if (added) await membershipChanged(ctx, { channelId, userId, change: 'JOINED' });
    return membership;
  },

  async setMemberRole(_parent, { channelId, userId, role }, ctx) {
    await ctx.requireViewer();
    await ctx.access.requireMember(channelId, ['OWNER']);
    const membership = await setMemberRole(ctx.prisma, channelId, userId, role);
    forgetChannel(ctx, channelId);
    return membership;
  },

  async removeMember(_parent, { channelId, userId }, ctx) {
    await ctx.requireViewer();
    const { role } = await ctx.access.requireMember(channelId, ['OWNER', 'ADMIN']);
    const removed = await removeMember(ctx.prisma, channelId, userId, removableBy(role));
    if (removed) await membershipChanged(ctx, { channelId, userId, change: 'LEFT' });
    return removed;
  },
};
