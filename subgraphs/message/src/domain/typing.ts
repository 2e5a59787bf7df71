import { conflict, topics, type Redis, type TypingNotice } from '@commons/shared';
import type { MessageContext } from '../context';

/** At most one typing event per user, channel and this many ms. */
export const TYPING_THROTTLE_MS = 3000;

/** Says whether a typing event may go out now for (user, channel), and if so takes the slot. */
export interface TypingThrottle {
  take(userId: string, channelId: string): Promise<boolean>;
}

/**
 * Shared by every replica through Redis (`SET NX PX`: atomic, expires by itself); in process
 * memory without Redis, or while Redis fails (then per replica, which only lets a few more
 * events through).
 */
export function createTypingThrottle(redis: Redis | null): TypingThrottle {
  const until = new Map<string, number>();
  const takeInMemory = (key: string) => {
    const now = Date.now();
    if ((until.get(key) ?? 0) > now) return false;
    // Bounded: expired slots are dropped whenever the map grows large.
    if (until.size > 10_000) for (const [k, t] of until) if (t <= now) until.delete(k);
    until.set(key, now + TYPING_THROTTLE_MS);
    return true;
  };
  return {
    async take(userId, channelId) {
      const key = `typing:{${channelId}}:${userId}`;
      if (!redis) return takeInMemory(key);
      try {
        return (await redis.set(key, '1', 'PX', TYPING_THROTTLE_MS, 'NX')) === 'OK';
      } catch {
        return takeInMemory(key);
      }
    },
  };
}

/**
 * Tells the channel's other readers the viewer is typing: published, never stored. Calls
 * within the throttle window are accepted and coalesced into the event already sent.
 */
export async function sendTyping(ctx: MessageContext, channelId: string): Promise<boolean> {
  const viewer = ctx.access.requireViewer();
  const { channel } = await ctx.access.requireMember(channelId);
  if (channel.archivedAt) throw conflict('This channel is archived');
  if (await ctx.typingThrottle.take(viewer.id, channelId)) {
    // With the typist's profile, which the typing subscription provides: every watcher's
    // pipeline (typing is per viewer) would otherwise ask the channel subgraph for it.
    const user = await ctx.loaders.userById.load(viewer.id);
    const notice: TypingNotice = { channelId, userId: viewer.id, at: new Date().toISOString() };
    if (user) notice.user = { handle: user.handle, displayName: user.displayName, avatarUrl: user.avatarUrl };
    try {
      await ctx.pubsub.publish(topics.typing(channelId), notice);
    } catch (err) {
      // Ephemeral by nature: a lost typing event is not worth failing the call.
      ctx.logger.warn({ err, channelId }, 'could not publish typing');
    }
  }
  return true;
}
