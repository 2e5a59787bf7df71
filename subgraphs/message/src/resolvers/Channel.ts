import { parsePageArgs } from '@commons/shared';
import type { ChannelResolvers } from '../__generated__/resolvers-types';
import { messagesPage } from '../domain/history';

const DEFAULT_PAGE_SIZE = 50;

export const Channel: ChannelResolvers = {
  // Only the id is needed here; the channel subgraph owns the rest.
  __resolveReference: (ref) => ({ id: ref.id }),
  async messages(channel, args, ctx) {
    await ctx.access.requireReadable(channel.id);
    return messagesPage(ctx.prisma, channel.id, parsePageArgs(args, DEFAULT_PAGE_SIZE));
  },
};
