import { ChannelAccess } from './access';
import type { BaseContext } from './context';
import { notFound } from './errors';
import { topics, type MembershipChangedEvent } from './pubsub';

/** How stale a private channel's access check may get when no membership event arrives. */
const RECHECK_MS = 15_000;

/**
 * Wraps a channel's live stream so it ends (NOT_FOUND, as at subscribe time) the moment the
 * viewer may no longer read the channel: checked before every event, from a fresh read of
 * membership whenever the channel's membership changed (pub/sub) and at least every 15 s for
 * private channels (in case a membership event was lost). Public channels stay readable to
 * everyone signed in, so they need no re-check.
 */
export async function guardChannelStream<T>(
  ctx: Pick<BaseContext, 'prisma' | 'pubsub' | 'viewer'>,
  channelId: string,
  source: AsyncIterator<T>,
): Promise<AsyncIterableIterator<T>> {
  // Visibility never changes after creation, so a public channel needs no re-check at all.
  const channel = await new ChannelAccess(ctx.prisma, ctx.viewer).channel(channelId);
  if (channel?.visibility === 'PUBLIC') return wrapIterator(source);
  const changes = await ctx.pubsub.subscribe<MembershipChangedEvent>(topics.membershipChanged(channelId));
  let stale = false;
  let checkedAt = Date.now();
  void (async () => {
    for await (const change of changes) if (change.userId === ctx.viewer?.id) stale = true;
  })();

  const stillReadable = async () => {
    if (!stale && Date.now() - checkedAt < RECHECK_MS) return true;
    stale = false;
    checkedAt = Date.now();
    return new ChannelAccess(ctx.prisma, ctx.viewer).canRead(channelId);
  };

  const close = async () => {
    changes.close();
    await source.return?.();
  };

  const guarded: AsyncIterableIterator<T> = {
    async next() {
      const result = await source.next();
      if (result.done) {
        changes.close();
        return result;
      }
      if (!(await stillReadable())) {
        await close();
        throw notFound('Channel');
      }
      return result;
    },
    async return() {
      await close();
      return { value: undefined, done: true };
    },
    async throw(error) {
      await close();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return guarded;
    },
  };
  return guarded;
}

function wrapIterator<T>(source: AsyncIterator<T>): AsyncIterableIterator<T> {
  const wrapped: AsyncIterableIterator<T> = {
    next: () => source.next(),
    return: async () => (await source.return?.()) ?? { value: undefined, done: true },
    throw: async (error) => {
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]: () => wrapped,
  };
  return wrapped;
}
