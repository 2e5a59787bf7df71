import { forbidden } from '@commons/shared';
import type { Message } from '@commons/shared/src/generated/prisma/client';
import type { MessageContext } from '../context';
import { afterMessageUpdate, requireMessageAccess } from './messageAccess';

const MODERATORS = ['OWNER', 'ADMIN'] as const;

/**
 * Soft delete, by the author or a channel OWNER/ADMIN (also in an archived channel: removing
 * content is always allowed). The row keeps its place in history; its body, earlier bodies,
 * reactions and pin go, since they are its content. Deleting twice returns the deleted message.
 */
export async function deleteMessage(ctx: MessageContext, messageId: string): Promise<Message> {
  const { viewer, message, role } = await requireMessageAccess(ctx, messageId);
  if (message.authorId !== viewer.id && !(MODERATORS as readonly string[]).includes(role)) {
    throw forbidden('Only its author or a channel OWNER or ADMIN can delete a message');
  }
  if (message.deletedAt) return message;
  const deleted = await ctx.prisma.$transaction(async (tx) => {
    const { count } = await tx.message.updateMany({
      where: { id: messageId, deletedAt: null },
      data: { body: '', deletedAt: new Date(), pinnedAt: null, pinnedById: null },
    });
    // Someone else deleted it first: theirs is the change to report.
    if (count === 0) return null;
    await tx.messageEdit.deleteMany({ where: { messageId } });
    await tx.reaction.deleteMany({ where: { messageId } });
    return tx.message.findUniqueOrThrow({ where: { id: messageId } });
  });
  if (!deleted) return ctx.prisma.message.findUniqueOrThrow({ where: { id: messageId } });
  await afterMessageUpdate(ctx, deleted);
  return deleted;
}
