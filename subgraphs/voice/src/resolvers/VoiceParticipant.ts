import type { VoiceParticipantResolvers } from '../__generated__/resolvers-types';

export const VoiceParticipant: VoiceParticipantResolvers = {
  /** Null when the seat is gone (or stale), or in a channel the caller cannot read. */
  async __resolveReference(ref, ctx) {
    const participant = await ctx.loaders.participantById.load(ref.id);
    return participant && (await ctx.access.canRead(participant.channelId)) ? participant : null;
  },
  // The channel subgraph resolves the rest of User and Channel through federation.
  user: (participant) => ({ id: participant.userId }),
  channel: (participant) => ({ id: participant.channelId }),
};
