import { badInput, isUuid, pgRows } from '@commons/shared';
import type { PrismaClient } from '@commons/shared/src/generated/prisma/client';
import type { ChannelRef } from '../mappers';
import type { MessageContext } from '../context';

/** Unread messages are counted up to this many (a client shows "999+"), so the cost stays bounded. */
export const MAX_UNREAD_COUNT = 1000;

export interface ReadState {
  lastReadMessageId: string | null;
  unreadCount: number;
}

/**
 * Moves the viewer's read marker in a channel to `messageId`, never backwards: one upsert whose
 * update applies only to an earlier marker, so concurrent calls (two tabs) cannot regress it.
 */
export async function markRead(ctx: MessageContext, channelId: string, messageId: string): Promise<ChannelRef> {
  const viewer = ctx.access.requireViewer();
  await ctx.access.requireMember(channelId);
  const message = await ctx.loaders.messageById.load(messageId);
  if (!message || message.channelId !== channelId) throw badInput('messageId must be a message in this channel', 'messageId');
  await ctx.prisma.$executeRaw`
    INSERT INTO read_markers (user_id, channel_id, last_read_seq, last_read_message_id, updated_at)
    VALUES (${viewer.id}, ${channelId}::uuid, ${message.seq}, ${message.id}::uuid, now())
    ON CONFLICT (user_id, channel_id) DO UPDATE
       SET last_read_seq = EXCLUDED.last_read_seq, last_read_message_id = EXCLUDED.last_read_message_id, updated_at = now()
     WHERE read_markers.last_read_seq < EXCLUDED.last_read_seq`;
  ctx.loaders.readState.clear(channelId);
  return { id: channelId };
}

// On pg (see pg-reads.ts): one statement per batch, the channel ids bound as one array.
const READ_STATES = `
  SELECT c.id AS "channelId", r.last_read_message_id AS "lastReadMessageId",
         (SELECT count(*)::int FROM (
            SELECT 1 FROM messages m
             WHERE m.channel_id = c.id AND m.seq > COALESCE(r.last_read_seq, 0)
               AND m.deleted_at IS NULL AND m.author_id <> $2::text
             LIMIT $3) AS unread) AS "unreadCount"
    FROM unnest($1::uuid[]) AS c(id)
    LEFT JOIN read_markers r ON r.user_id = $2::text AND r.channel_id = c.id`;

/**
 * A user's read state in many channels, in one query. The unread count is a range over the
 * (channel_id, seq) index from the marker on (the whole channel without one), skipping deleted
 * messages and the user's own, stopped at MAX_UNREAD_COUNT: never a count of the whole channel.
 */
export async function readStates(prisma: PrismaClient, userId: string, channelIds: readonly string[]): Promise<Map<string, ReadState>> {
  const valid = channelIds.filter(isUuid);
  if (valid.length === 0) return new Map();
  const rows = await pgRows<ReadState & { channelId: string }>(prisma, READ_STATES, [valid, userId, MAX_UNREAD_COUNT]);
  return new Map(rows.map(({ channelId, ...state }) => [channelId, state]));
}
