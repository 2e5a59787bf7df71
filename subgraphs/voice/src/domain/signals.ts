import { badInput, notFound, topics, type VoiceSignalEvent } from '@commons/shared';
import type { VoiceContext } from '../context';
import { ownSeat } from './seats';

export const SIGNAL_TYPES: readonly string[] = ['offer', 'answer', 'candidate', 'bye'];
export const MAX_SIGNAL_PAYLOAD_BYTES = 64 * 1024;

export interface SignalInput {
  fromParticipantId: string;
  toParticipantId: string;
  type: string;
  payload: string;
}

/**
 * Relays a signal from the viewer's own seat to another seat of the same room, through
 * pub/sub only: signals are never stored. Rate-limited per sending seat. False when pub/sub
 * could not take it (the client may retry); a failed relay is not a client error.
 */
export async function sendSignal(ctx: VoiceContext, input: SignalInput): Promise<boolean> {
  ctx.access.requireViewer();
  if (!SIGNAL_TYPES.includes(input.type)) throw badInput(`type must be one of ${SIGNAL_TYPES.join(', ')}`, 'type');
  if (Buffer.byteLength(input.payload, 'utf8') > MAX_SIGNAL_PAYLOAD_BYTES) {
    throw badInput(`payload is at most ${MAX_SIGNAL_PAYLOAD_BYTES} bytes`, 'payload');
  }
  if (input.fromParticipantId === input.toParticipantId) throw badInput('A seat cannot signal itself', 'toParticipantId');

  // One batched query for both seats.
  const [from, to] = await Promise.all([
    ownSeat(ctx, input.fromParticipantId),
    ctx.loaders.participantById.load(input.toParticipantId),
  ]);
  if (!from) throw notFound('Voice participant');
  if (!to || to.channelId !== from.channelId) throw notFound('Voice participant in this room');
  await ctx.signalLimiter.consume(from.id);

  const event: VoiceSignalEvent = { signal: { fromParticipantId: from.id, toParticipantId: to.id, type: input.type, payload: input.payload } };
  try {
    await ctx.pubsub.publish(topics.voiceSignals(to.id), event);
    return true;
  } catch (err) {
    ctx.logger.error({ err, to: to.id }, 'could not relay a signal');
    return false;
  }
}
