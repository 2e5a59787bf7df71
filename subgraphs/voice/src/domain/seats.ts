import { badInput, conflict, forbidden, notFound } from '@commons/shared';
import type { VoiceParticipant } from '@commons/shared/src/generated/prisma/client';
import type { VoiceContext } from '../context';
import type { VoiceSessionModel } from '../mappers';
import { iceServersFor } from './ice';
import { mediaTokenFor } from './mediaToken';
import { channelOfParticipant, deleteOwnParticipant, insertParticipant, liveParticipantsInChannels, touchParticipant, type VoiceStateChange } from './participants';
import { publishParticipantLeft, publishRoomEvent } from './roomEvents';

/**
 * Seats the viewer in a VOICE channel's room: members only, not in an archived channel. Every
 * call is a new seat (a second tab is a second participant).
 */
export async function joinVoice(ctx: VoiceContext, channelId: string): Promise<VoiceSessionModel> {
  const viewer = ctx.access.requireViewer();
  const { channel } = await ctx.access.requireMember(channelId);
  if (channel.kind !== 'VOICE') throw badInput('Only VOICE channels have a voice room', 'channelId');
  if (channel.archivedAt) throw conflict('This channel is archived');

  const participant = await insertParticipant(ctx.prisma, channel.id, viewer.id);
  await publishRoomEvent(ctx, 'JOINED', participant);
  const [participants, mediaToken] = await Promise.all([
    liveParticipantsInChannels(ctx.prisma, [channel.id], ctx.settings.heartbeatTimeoutMs),
    mediaTokenFor(ctx.settings.livekit, participant),
  ]);
  return {
    participant,
    participants,
    iceServers: iceServersFor(ctx.settings, viewer.id),
    mediaToken,
    mediaUrl: ctx.settings.livekit?.url ?? null,
  };
}

/**
 * The viewer's own live seat, in a channel they are still a member of; null when the seat is
 * gone. Someone else's seat is FORBIDDEN, or NOT_FOUND when its channel is hidden from the viewer.
 */
export async function ownSeat(ctx: VoiceContext, participantId: string): Promise<VoiceParticipant | null> {
  const viewer = ctx.access.requireViewer();
  const seat = await ctx.loaders.participantById.load(participantId);
  if (!seat) return null;
  if (seat.userId !== viewer.id) throw await notYours(ctx, seat.channelId);
  await ctx.access.requireMember(seat.channelId);
  return seat;
}

async function notYours(ctx: VoiceContext, channelId: string) {
  return (await ctx.access.canRead(channelId)) ? forbidden('That is not your voice seat') : notFound('Voice participant');
}

/** Changes the viewer's own seat; UPDATED is published when something actually changed. */
export async function updateVoiceState(ctx: VoiceContext, participantId: string, change: VoiceStateChange): Promise<VoiceParticipant> {
  const seat = await ownSeat(ctx, participantId);
  if (!seat) throw notFound('Voice participant');
  // A state change is a sign of life too: it renews the heartbeat.
  const updated = await touchParticipant(ctx.prisma, seat.id, ctx.settings.heartbeatTimeoutMs, change);
  if (!updated) throw notFound('Voice participant');
  if (updated.muted !== seat.muted || updated.deafened !== seat.deafened || updated.speaking !== seat.speaking) {
    await publishRoomEvent(ctx, 'UPDATED', updated);
  }
  return updated;
}

/** Keeps the viewer's seat alive; false when it is gone already (the client joins again). */
export async function heartbeatVoice(ctx: VoiceContext, participantId: string): Promise<boolean> {
  const seat = await ownSeat(ctx, participantId);
  return seat !== null && (await touchParticipant(ctx.prisma, seat.id, ctx.settings.heartbeatTimeoutMs)) !== null;
}

/**
 * Removes the viewer's own seat (also a stale one the sweeper has not reached yet) and
 * publishes LEFT; false when it was gone already. Leaving needs no membership: someone who
 * left the channel may still give up their seat.
 */
export async function leaveVoice(ctx: VoiceContext, participantId: string): Promise<boolean> {
  const viewer = ctx.access.requireViewer();
  const removed = await deleteOwnParticipant(ctx.prisma, participantId, viewer.id);
  if (removed) {
    await publishParticipantLeft(ctx, removed);
    return true;
  }
  const channelId = await channelOfParticipant(ctx.prisma, participantId);
  if (channelId) throw await notYours(ctx, channelId);
  return false;
}
