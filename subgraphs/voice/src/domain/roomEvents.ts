import { publishAfterCommit, topics, type AsyncQueue, type ServiceDeps, type VoiceParticipantPayload, type VoiceRoomEvent, type VoiceSignalEvent } from '@commons/shared';
import type { VoiceParticipant } from '@commons/shared/src/generated/prisma/client';

export type VoiceEventKind = VoiceRoomEvent['kind'];

type Publisher = Pick<ServiceDeps, 'pubsub' | 'logger' | 'metrics'>;

export const toParticipantPayload = (row: VoiceParticipant): VoiceParticipantPayload => ({
  ...row,
  joinedAt: row.joinedAt.toISOString(),
  lastHeartbeatAt: row.lastHeartbeatAt.toISOString(),
});

/** Back to the row shape the resolvers are typed for. */
export const toParticipantRow = (payload: VoiceParticipantPayload): VoiceParticipant => ({
  id: payload.id,
  channelId: payload.channelId,
  userId: payload.userId,
  muted: payload.muted,
  deafened: payload.deafened,
  speaking: payload.speaking,
  joinedAt: new Date(payload.joinedAt),
  lastHeartbeatAt: new Date(payload.lastHeartbeatAt),
});

/** Runs after commit: a stored change is never reported as failed because Redis hiccupped. */
export async function publishRoomEvent(deps: Publisher, kind: VoiceEventKind, participant: VoiceParticipant): Promise<void> {
  const event: VoiceRoomEvent = { kind, participant: toParticipantPayload(participant) };
  await publishAfterCommit(deps, topics.voiceRoom(participant.channelId), event);
}

/** A removed seat: LEFT for the room, and the end of its own signal stream. */
export async function publishParticipantLeft(deps: Publisher, participant: VoiceParticipant): Promise<void> {
  await publishRoomEvent(deps, 'LEFT', participant);
  const closed: VoiceSignalEvent = { closed: true };
  await publishAfterCommit(deps, topics.voiceSignals(participant.id), closed);
}

/**
 * A pub/sub queue as a subscription's event stream, each event mapped; a map result of
 * `undefined` ends the stream. Ending (by the client or by the map) closes the queue at once,
 * which releases the pub/sub subscription even while no event is arriving.
 */
export function streamOf<T, U>(queue: AsyncQueue<T>, map: (event: T) => U | undefined): AsyncIterableIterator<U> {
  const done = (): IteratorResult<U> => ({ value: undefined, done: true });
  const stream: AsyncIterableIterator<U> = {
    async next() {
      const next = await queue.next();
      if (next.done) return done();
      const value = map(next.value);
      if (value === undefined) {
        queue.close();
        return done();
      }
      return { value, done: false };
    },
    async return() {
      queue.close();
      return done();
    },
    async throw(err?: unknown) {
      queue.close();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
  };
  return stream;
}
