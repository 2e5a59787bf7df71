import { guardChannelStream, isUuid, notFound, topics, type VoiceRoomEvent, type VoiceSignalEvent } from '@commons/shared';
import type { SubscriptionResolvers } from '../__generated__/resolvers-types';
import type { VoiceEventModel } from '../mappers';
import { streamOf, toParticipantRow } from '../domain/roomEvents';

type Signal = Extract<VoiceSignalEvent, { signal: unknown }>['signal'];

export const Subscription: SubscriptionResolvers = {
  voiceEvents: {
    // NOT_FOUND for a missing or invisible channel at subscribe time, and the stream ends the
    // same way once the viewer can no longer read it (guardChannelStream).
    async subscribe(_root, { channelId }, ctx) {
      await ctx.access.requireReadable(channelId);
      // The event carries the whole participant: a LEFT one's row is gone already.
      return guardChannelStream(ctx, channelId, async () =>
        streamOf(await ctx.pubsub.subscribe<VoiceRoomEvent>(topics.voiceRoom(channelId)), (event): VoiceEventModel => ({
          kind: event.kind,
          participant: toParticipantRow(event.participant),
        })),
      );
    },
    resolve: (event: VoiceEventModel) => event,
  },
  signals: {
    /**
     * The viewer's own live seat only; NOT_FOUND alike for a missing seat and someone else's,
     * so probing reveals nothing. Subscribed before the check, so a seat removed right after it
     * still ends the stream (its `closed` event is not missed).
     */
    async subscribe(_root, { participantId }, ctx) {
      const viewer = ctx.access.requireViewer();
      if (!isUuid(participantId)) throw notFound('Voice participant');
      const queue = await ctx.pubsub.subscribe<VoiceSignalEvent>(topics.voiceSignals(participantId));
      let channelId: string;
      try {
        const seat = await ctx.loaders.participantById.load(participantId);
        if (!seat || seat.userId !== viewer.id) throw notFound('Voice participant');
        await ctx.access.requireMember(seat.channelId);
        channelId = seat.channelId;
      } catch (err) {
        queue.close();
        throw err;
      }
      return guardChannelStream(ctx, channelId, streamOf(queue, (event) => ('signal' in event ? event.signal : undefined)));
    },
    resolve: (signal: Signal) => signal,
  },
};
