import type { ChannelResolvers } from '../__generated__/resolvers-types';

export const Channel: ChannelResolvers = {
  // Only the id is needed here; the channel subgraph owns the rest, and vouches for the access
  // row it read in this request (the fields below check access on it; see access-grant.ts).
  async __resolveReference(ref, ctx) {
    await ctx.access.acceptGrant(ref.id, 'accessGrant' in ref ? ref.accessGrant : undefined);
    return { id: ref.id };
  },
  /** Readable channels only (NOT_FOUND otherwise); empty for channels that are not VOICE. */
  async voiceParticipants(channel, _args, ctx) {
    const { kind } = await ctx.access.requireReadable(channel.id);
    return kind === 'VOICE' ? ctx.loaders.participantsByChannel.load(channel.id) : [];
  },
};
