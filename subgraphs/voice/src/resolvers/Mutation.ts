import type { MutationResolvers } from '../__generated__/resolvers-types';
import { heartbeatVoice, joinVoice, leaveVoice, updateVoiceState } from '../domain/seats';
import { sendSignal } from '../domain/signals';

export const Mutation: MutationResolvers = {
  joinVoice: (_root, { channelId }, ctx) => joinVoice(ctx, channelId),
  leaveVoice: (_root, { participantId }, ctx) => leaveVoice(ctx, participantId),
  // A null argument, like an omitted one, keeps the current value.
  updateVoiceState: (_root, { participantId, muted, deafened, speaking }, ctx) =>
    updateVoiceState(ctx, participantId, { muted: muted ?? undefined, deafened: deafened ?? undefined, speaking: speaking ?? undefined }),
  heartbeatVoice: (_root, { participantId }, ctx) => heartbeatVoice(ctx, participantId),
  sendSignal: (_root, args, ctx) => sendSignal(ctx, args),
};
