import { randomUUID } from 'node:crypto';
import { isUuid } from '@commons/shared';
import { Prisma, type PrismaClient, type VoiceParticipant } from '@commons/shared/src/generated/prisma/client';

/**
 * Presence in Postgres: a seat is live while its row exists and its last heartbeat is younger
 * than the timeout. Every statement compares against the database's clock (`now()`), never a
 * replica's, so replicas with skewed clocks agree on who is live. A row past the timeout is
 * treated as gone at once by every read and write here; the sweeper deletes it and announces
 * LEFT shortly after.
 */

const COLUMNS = Prisma.sql`id, channel_id AS "channelId", user_id AS "userId", muted, deafened, speaking,
  joined_at AS "joinedAt", last_heartbeat_at AS "lastHeartbeatAt"`;

const cutoff = (timeoutMs: number) => Prisma.sql`now() - ${timeoutMs}::int * interval '1 millisecond'`;
const live = (timeoutMs: number) => Prisma.sql`last_heartbeat_at > ${cutoff(timeoutMs)}`;

export interface VoiceStateChange {
  muted?: boolean;
  deafened?: boolean;
  speaking?: boolean;
}

/** Seats a new participant; its heartbeat starts now. */
export async function insertParticipant(prisma: PrismaClient, channelId: string, userId: string): Promise<VoiceParticipant> {
  const [row] = await prisma.$queryRaw<VoiceParticipant[]>`
    INSERT INTO voice_participants (id, channel_id, user_id) VALUES (${randomUUID()}::uuid, ${channelId}::uuid, ${userId})
    RETURNING ${COLUMNS}`;
  return row;
}

/** Live participants by id (any order; callers index them). */
export function liveParticipantsByIds(prisma: PrismaClient, ids: readonly string[], timeoutMs: number): Promise<VoiceParticipant[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return Promise.resolve([]);
  return prisma.$queryRaw<VoiceParticipant[]>`
    SELECT ${COLUMNS} FROM voice_participants
    WHERE id = ANY(${valid}::uuid[]) AND ${live(timeoutMs)}`;
}

/** The live participants of some channels, each channel's in joining order. */
export function liveParticipantsInChannels(
  prisma: PrismaClient,
  channelIds: readonly string[],
  timeoutMs: number,
): Promise<VoiceParticipant[]> {
  const valid = channelIds.filter(isUuid);
  if (valid.length === 0) return Promise.resolve([]);
  return prisma.$queryRaw<VoiceParticipant[]>`
    SELECT ${COLUMNS} FROM voice_participants
    WHERE channel_id = ANY(${valid}::uuid[]) AND ${live(timeoutMs)}
    ORDER BY channel_id, joined_at, id`;
}

/** Renews a live seat's heartbeat (and applies `change`); null when the seat is gone. */
export async function touchParticipant(
  prisma: PrismaClient,
  id: string,
  timeoutMs: number,
  change: VoiceStateChange = {},
): Promise<VoiceParticipant | null> {
  if (!isUuid(id)) return null;
  const [row] = await prisma.$queryRaw<VoiceParticipant[]>`
    UPDATE voice_participants SET
      last_heartbeat_at = now(),
      muted = COALESCE(${change.muted ?? null}::boolean, muted),
      deafened = COALESCE(${change.deafened ?? null}::boolean, deafened),
      speaking = COALESCE(${change.speaking ?? null}::boolean, speaking)
    WHERE id = ${id}::uuid AND ${live(timeoutMs)}
    RETURNING ${COLUMNS}`;
  return row ?? null;
}

/**
 * Deletes a user's own seat, live or stale; null when there was none. DELETE ... RETURNING
 * hands a row to exactly one caller, whether that is this leave, another one, or a sweeper.
 */
export async function deleteOwnParticipant(prisma: PrismaClient, id: string, userId: string): Promise<VoiceParticipant | null> {
  if (!isUuid(id)) return null;
  const [row] = await prisma.$queryRaw<VoiceParticipant[]>`
    DELETE FROM voice_participants WHERE id = ${id}::uuid AND user_id = ${userId} RETURNING ${COLUMNS}`;
  return row ?? null;
}

/** The channel of a seat row, live or stale, whoever owns it; null when there is none. */
export async function channelOfParticipant(prisma: PrismaClient, id: string): Promise<string | null> {
  if (!isUuid(id)) return null;
  const row = await prisma.voiceParticipant.findUnique({ where: { id }, select: { channelId: true } });
  return row?.channelId ?? null;
}

/**
 * Deletes up to `limit` stale seats and returns them. Concurrent sweepers (one per replica)
 * skip each other's locked rows, and DELETE ... RETURNING reports each row to the one
 * transaction that deleted it: every seat is removed, and announced, once.
 */
export function deleteStaleParticipants(prisma: PrismaClient, timeoutMs: number, limit: number): Promise<VoiceParticipant[]> {
  return prisma.$queryRaw<VoiceParticipant[]>`
    DELETE FROM voice_participants WHERE id IN (
      SELECT id FROM voice_participants
      WHERE last_heartbeat_at <= ${cutoff(timeoutMs)}
      ORDER BY last_heartbeat_at
      LIMIT ${limit}::int
      FOR UPDATE SKIP LOCKED)
    RETURNING ${COLUMNS}`;
}
