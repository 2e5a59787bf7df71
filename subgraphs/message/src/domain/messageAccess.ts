import { conflict, notFound, pgRows, publishAfterCommit, topics, type Viewer } from '@commons/shared';
import type { Message, Prisma } from '@commons/shared/src/generated/prisma/client';
import type { MemberRole } from '@commons/shared/src/generated/prisma/enums';
import type { MessageContext } from '../context';
import { fromLiveRow, LIVE_COLUMNS, toMessageEvent, type LiveMessage, type LiveRow } from './messageRow';

/**
 * The message a mutation acts on, for a member of its channel: NOT_FOUND when it is missing or
 * its channel is hidden from the viewer (probing ids reveals nothing), FORBIDDEN for a
 * non-member or a role not in `roles`, CONFLICT for a content change (`write`) in an archived channel.
 */
export async function requireMessageAccess(
  ctx: MessageContext,
  messageId: string,
  options: { write?: boolean; roles?: readonly MemberRole[] } = {},
): Promise<{ viewer: Viewer; message: Message; role: MemberRole }> {
  const viewer = ctx.access.requireViewer();
  const message = await ctx.loaders.messageById.load(messageId);
  if (!message || !(await ctx.access.canRead(message.channelId))) throw notFound('Message');
  const { channel, role } = await ctx.access.requireMember(message.channelId, options.roles);
  if (options.write && channel.archivedAt) throw conflict('This channel is archived');
  return { viewer, message, role };
}

/**
 * Takes the message row's lock until commit, so changes to one message (edits, reactions, pins,
 * its deletion) run one at a time; CONFLICT when it was deleted meanwhile.
 */
export async function lockLiveMessage(tx: Prisma.TransactionClient, messageId: string): Promise<{ body: string; editedAt: Date | null }> {
  const [row] = await tx.$queryRaw<Array<{ body: string; edited_at: Date | null }>>`
    SELECT body, edited_at FROM messages WHERE id = ${messageId}::uuid AND deleted_at IS NULL FOR NO KEY UPDATE`;
  if (!row) throw conflict('This message was deleted');
  return { body: row.body, editedAt: row.edited_at };
}

/**
 * After a change to a message has committed: the channel's cached page is invalidated before
 * the mutation answers (so no later read sees the old state), then `messageUpdated` is published
 * with the message as it is now. Neither step can fail the committed change.
 */
export async function afterMessageUpdate(ctx: MessageContext, message: Message): Promise<void> {
  const [, live] = await Promise.all([ctx.messageCache.invalidate(message.channelId), withLiveFields(ctx, message)]);
  // This request's loaders may hold the row (and its reactions) from before the change.
  ctx.loaders.clearMessage(message.id);
  await publishAfterCommit(ctx, topics.messageUpdated(message.channelId), toMessageEvent(live));
}

const LIVE_FIELDS = `SELECT ${LIVE_COLUMNS} FROM channels c LEFT JOIN users u ON u.id = $2::text WHERE c.id = $1::uuid`;

/**
 * The message with its author's profile and channel's name, which messageUpdated provides: one
 * statement per change, where every pipeline following the channel's updates (one per watcher
 * when they select their own reactions) would otherwise ask the channel subgraph. The message
 * as it is when the read fails.
 */
async function withLiveFields(ctx: MessageContext, message: Message): Promise<LiveMessage> {
  try {
    const [row] = await pgRows<Omit<LiveRow, keyof Message>>(ctx.prisma, LIVE_FIELDS, [message.channelId, message.authorId]);
    return row ? fromLiveRow({ ...message, ...row }) : message;
  } catch (err) {
    ctx.logger.warn({ err, messageId: message.id }, 'could not read the live fields of an updated message');
    return message;
  }
}
