import { badInput, conflict, isUuid, pgRows } from '@commons/shared';
import type { Message, PrismaClient } from '@commons/shared/src/generated/prisma/client';
import type { MessageContext } from '../context';
import { afterMessageUpdate, lockLiveMessage, requireMessageAccess } from './messageAccess';

/** Distinct emoji one message may carry. */
export const MAX_EMOJI_PER_MESSAGE = 20;
/** A `:short_name:` is at most this long, colons included; so is a grapheme cluster, in UTF-16 units. */
export const MAX_EMOJI_LENGTH = 64;

const SHORT_NAME = /^:[A-Za-z0-9_+-]+:$/;
// A cluster made only of spaces, controls or invisible format characters is not a reaction.
const INVISIBLE = /^[\p{White_Space}\p{Cc}\p{Cf}\p{Zl}\p{Zp}]+$/u;
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** One emoji's count on a message; a message's counts are in the order each emoji was first used. */
export interface ReactionCount {
  emoji: string;
  count: number;
}

/**
 * An emoji is exactly one grapheme cluster (👍, 👍🏽, 🇫🇷, 👨‍👩‍👧: what a user sees as one symbol)
 * or a `:short_name:` of at most 64 characters; else BAD_USER_INPUT. NFC-normalized, so the
 * same symbol typed two ways counts once.
 */
export function parseEmoji(raw: string): string {
  const emoji = raw.normalize('NFC');
  if (emoji.length <= MAX_EMOJI_LENGTH) {
    if (SHORT_NAME.test(emoji)) return emoji;
    const clusters = [...graphemes.segment(emoji)];
    if (clusters.length === 1 && !INVISIBLE.test(emoji)) return emoji;
  }
  throw badInput(`An emoji is one symbol or a :short_name: of at most ${MAX_EMOJI_LENGTH} characters`, 'emoji');
}

/**
 * Adds the viewer's reaction; idempotent. The message row's lock serializes reactions to one
 * message, so two new emoji racing for the 20th place cannot both get it.
 */
export async function addReaction(ctx: MessageContext, messageId: string, rawEmoji: string): Promise<Message> {
  const emoji = parseEmoji(rawEmoji);
  const { viewer, message } = await requireMessageAccess(ctx, messageId, { write: true });
  if (message.deletedAt) throw conflict('This message was deleted');
  const added = await ctx.prisma.$transaction(async (tx) => {
    await lockLiveMessage(tx, messageId);
    const used = await tx.reaction.findMany({ where: { messageId }, distinct: ['emoji'], select: { emoji: true } });
    if (used.length >= MAX_EMOJI_PER_MESSAGE && !used.some((r) => r.emoji === emoji)) {
      throw conflict(`A message carries at most ${MAX_EMOJI_PER_MESSAGE} different emoji`);
    }
    const { count } = await tx.reaction.createMany({ data: [{ messageId, userId: viewer.id, emoji }], skipDuplicates: true });
    return count > 0;
  });
  if (added) await afterMessageUpdate(ctx, message);
  return message;
}

/** Removes the viewer's reaction; idempotent (also on a deleted message, which has none). */
export async function removeReaction(ctx: MessageContext, messageId: string, rawEmoji: string): Promise<Message> {
  const emoji = parseEmoji(rawEmoji);
  const { viewer, message } = await requireMessageAccess(ctx, messageId, { write: true });
  const { count } = await ctx.prisma.reaction.deleteMany({ where: { messageId, userId: viewer.id, emoji } });
  if (count > 0) await afterMessageUpdate(ctx, message);
  return message;
}

// The page's hot reads, on pg (see pg-reads.ts): one statement per batch, ids bound as one array.
const REACTION_COUNTS = `
  SELECT message_id AS "messageId", emoji, count(*)::int AS count
    FROM reactions WHERE message_id = ANY($1::uuid[])
   GROUP BY message_id, emoji
   ORDER BY min(created_at), emoji`;
const REACTIONS_BY_USER = `SELECT message_id AS "messageId", emoji FROM reactions WHERE user_id = $1::text AND message_id = ANY($2::uuid[])`;

/** Reaction counts of many messages in one query, each message's in first-use order; [] for a malformed id. */
export async function reactionCounts(prisma: PrismaClient, messageIds: readonly string[]): Promise<Map<string, ReactionCount[]>> {
  const byMessage = new Map<string, ReactionCount[]>(messageIds.map((id) => [id, []]));
  const valid = messageIds.filter(isUuid);
  if (valid.length === 0) return byMessage;
  const rows = await pgRows<{ messageId: string; emoji: string; count: number }>(prisma, REACTION_COUNTS, [valid]);
  for (const row of rows) byMessage.get(row.messageId)?.push({ emoji: row.emoji, count: row.count });
  return byMessage;
}

/** The reactions `userId` left on any of `messageIds`, in no particular order. */
export async function reactionsBy(prisma: PrismaClient, userId: string, messageIds: readonly string[]): Promise<Array<{ messageId: string; emoji: string }>> {
  const valid = messageIds.filter(isUuid);
  return valid.length ? pgRows(prisma, REACTIONS_BY_USER, [userId, valid]) : [];
}
