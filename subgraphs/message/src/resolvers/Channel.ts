import { parsePageArgs, resolveChannelReference } from '@commons/shared';
import type { ChannelResolvers } from '../__generated__/resolvers-types';
import type { MessageContext } from '../context';
import { latestMessages, messagesPage } from '../domain/history';
import type { ChannelRef } from '../mappers';

const DEFAULT_PAGE_SIZE = 50;

export const Channel: ChannelResolvers = {
  __resolveReference: resolveChannelReference,
  // Provided by messageAdded and messageUpdated (codegen leaves the @external field out of
  // ChannelResolvers), and asked for only there: from the live message (synchronously: this runs
  // for every event of every pipeline), else from the channels table.
  name(channel: ChannelRef, _args: unknown, ctx: MessageContext) {
    if (channel.name !== undefined) return channel.name;
    return ctx.loaders.channelById.load(channel.id).then((row) => {
      if (!row) throw new Error(`channel ${channel.id} not found`);
      return row.name;
    });
  },
  async messages(channel, args, ctx) {
    await ctx.access.requireReadable(channel.id);
    const page = parsePageArgs(args, DEFAULT_PAGE_SIZE);
    // The latest page (`last: n`, no `before`) is what every client opens a channel with: cached.
    if (page.direction === 'backward' && page.before === undefined) return latestMessages(ctx, channel.id, page);
    return messagesPage(ctx.prisma, channel.id, page);
  },
  async pinnedMessages(channel, _args, ctx) {
    await ctx.access.requireReadable(channel.id);
    return ctx.loaders.pinnedByChannel.load(channel.id);
  },
  // Read state is a member's: a non-member (of a public channel) has none.
  async unreadCount(channel, _args, ctx) {
    if (!(await ctx.access.role(channel.id))) return 0;
    return (await ctx.loaders.readState.load(channel.id)).unreadCount;
  },
  async lastReadMessageId(channel, _args, ctx) {
    if (!(await ctx.access.role(channel.id))) return null;
    return (await ctx.loaders.readState.load(channel.id)).lastReadMessageId;
  },
};
