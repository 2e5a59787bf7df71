import { conflict } from '@commons/shared';
import type { Message } from '@commons/shared/src/generated/prisma/client';
import type { MessageContext } from '../context';
import { afterMessageUpdate, lockLiveMessage, requireMessageAccess } from './messageAccess';

/** Pins per channel: `pinnedMessages` is a plain list, so it must stay short. */
export const MAX_PINS_PER_CHANNEL = 50;

/**
 * Pins or unpins a message (channel OWNER or ADMIN). Pinning a pinned message keeps its
 * original pin time. The cap is checked under a per-channel advisory lock held until commit,
 * so concurrent pins cannot overshoot it (sends in the channel are not blocked).
 */
export async function pinMessage(ctx: MessageContext, messageId: string, pinned: boolean): Promise<Message> {
  const { viewer, message } = await requireMessageAccess(ctx, messageId, { write: true, roles: ['OWNER', 'ADMIN'] });
  if (pinned && message.deletedAt) throw conflict('This message was deleted');
  const changed = await ctx.prisma.$transaction(async (tx) => {
    if (!pinned) {
      const { count } = await tx.message.updateMany({ where: { id: messageId, pinnedAt: { not: null } }, data: { pinnedAt: null, pinnedById: null } });
      return count > 0 ? tx.message.findUniqueOrThrow({ where: { id: messageId } }) : null;
    }
    await tx.$queryRaw`SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtext(${`pins:${message.channelId}`}))) AS locked`;
    await lockLiveMessage(tx, messageId);
    const current = await tx.message.findUniqueOrThrow({ where: { id: messageId } });
    if (current.pinnedAt) return null;
    const pins = await tx.message.count({ where: { channelId: message.channelId, pinnedAt: { not: null } } });
    if (pins >= MAX_PINS_PER_CHANNEL) throw conflict(`A channel has at most ${MAX_PINS_PER_CHANNEL} pinned messages: unpin one first`);
    return tx.message.update({ where: { id: messageId }, data: { pinnedAt: new Date(), pinnedById: viewer.id } });
  });
  if (!changed) return ctx.prisma.message.findUniqueOrThrow({ where: { id: messageId } });
  await afterMessageUpdate(ctx, changed);
  return changed;
}
