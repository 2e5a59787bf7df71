import { forbidden } from '@commons/shared';
import type { Message } from '@commons/shared/src/generated/prisma/client';
import type { MessageContext } from '../context';
import { afterMessageUpdate, lockLiveMessage, requireMessageAccess } from './messageAccess';
import { validateBody } from './sendMessage';

/**
 * The author replaces a message's body; the old body goes to `edits`. Under the row's lock, so
 * concurrent edits each record the body they replaced. Each edit is stamped at least 1 ms after
 * the previous one, so edits stay in order even when two land within a millisecond or replicas'
 * clocks disagree. The same body again changes nothing.
 */
export async function editMessage(ctx: MessageContext, messageId: string, rawBody: string): Promise<Message> {
  const body = validateBody(rawBody);
  const { viewer, message } = await requireMessageAccess(ctx, messageId, { write: true });
  if (message.authorId !== viewer.id) throw forbidden('Only its author can edit a message');
  const edited = await ctx.prisma.$transaction(async (tx) => {
    const current = await lockLiveMessage(tx, messageId);
    if (current.body === body) return null;
    const editedAt = new Date(Math.max(Date.now(), (current.editedAt?.getTime() ?? 0) + 1));
    await tx.messageEdit.create({ data: { messageId, body: current.body, editedAt } });
    return tx.message.update({ where: { id: messageId }, data: { body, editedAt } });
  });
  if (!edited) return message;
  await afterMessageUpdate(ctx, edited);
  return edited;
}
