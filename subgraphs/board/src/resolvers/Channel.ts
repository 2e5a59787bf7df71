import { parsePageArgs, resolveChannelReference, toConnection } from '@commons/shared';
import type { ChannelResolvers } from '../__generated__/resolvers-types';
import { parseThreadCursor, threadConnection } from '../domain/threads';
import { normalizeTag } from '../domain/validation';

const DEFAULT_PAGE_SIZE = 20;

export const Channel: ChannelResolvers = {
  __resolveReference: resolveChannelReference,
  async threads(channel, args, ctx) {
    const access = await ctx.access.requireReadable(channel.id);
    const page = parsePageArgs({ first: args.first, after: args.after }, DEFAULT_PAGE_SIZE);
    const order = args.order ?? 'LATEST_ACTIVITY';
    const after = page.direction === 'forward' && page.after !== undefined ? parseThreadCursor(page.after, order) : null;
    const tag = args.tag == null ? null : normalizeTag(args.tag, 'tag');
    // Other kinds have no threads: an empty list, not an error, so one query can ask every channel.
    if (access.kind !== 'FORUM') return toConnection([], page, () => '');
    const rows = await ctx.loaders.threadsPage.load({ channelId: channel.id, order, tag, after, take: page.limit + 1 });
    return threadConnection(rows, page, order);
  },
};
