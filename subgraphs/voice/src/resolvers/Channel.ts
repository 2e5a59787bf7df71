import { resolveChannelReference } from '@commons/shared';
import type { ChannelResolvers } from '../__generated__/resolvers-types';

export const Channel: ChannelResolvers = {
  __resolveReference: resolveChannelReference,
  /** Readable channels only (NOT_FOUND otherwise); empty for channels that are not VOICE. */
  async voiceParticipants(channel, _args, ctx) {
    const { kind } = await ctx.access.requireReadable(channel.id);
    return kind === 'VOICE' ? ctx.loaders.participantsByChannel.load(channel.id) : [];
  },
};
