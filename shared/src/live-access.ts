import { ChannelAccess } from './access';
import type { BaseContext } from './context';
import { notFound } from './errors';
import { topics, type AsyncQueue, type MembershipChangedEvent } from './pubsub';

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
  ctx: Pick<BaseContext, 'prisma' | 'pubsub' | 'viewer' | 'access' | 'liveAdmission'>,
  channelId: string,
  /**
   * How to open the stream (pub/sub, reads): an admission never opens it. A stream opened
   * already (one that must exist before the caller's checks) is returned for an admission.
   */
  stream: AsyncIterator<T> | (() => Promise<AsyncIterator<T>>),
): Promise<AsyncIterableIterator<T>> {
  if (ctx.liveAdmission) {
    // The gateway delivers the events from its shared stream; this subscription only has to
    // end when the caller loses access, so the source is not needed.
    if (typeof stream !== 'function') await stream.return?.();
    return watchAccess(ctx, channelId);
  }
  const source = typeof stream === 'function' ? await stream() : stream;
  let changes: AsyncQueue<MembershipChangedEvent>;
  try {
    // Visibility never changes after creation, so a public channel needs no re-check at all; the
    // gateway's fan-out stream serves only subscribers it had admitted and watches for each.
    // The subscribe resolver's own check read the row already: this costs no statement.
    const channel = await ctx.access.channel(channelId);
    if (channel?.visibility === 'PUBLIC' || ctx.viewer?.fanout) return wrapIterator(source);
    changes = await ctx.pubsub.subscribe<MembershipChangedEvent>(topics.membershipChanged(channelId));
  } catch (err) {
    await source.return?.();
    throw err;
  }
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

/**
 * A stream that yields nothing and ends only when returned: an admission to a public channel,
 * which everyone signed in may read for as long as it exists. One object and one pending
 * promise, where an AsyncQueue would cost a dozen closures, for every subscriber.
 */
class UntilReturned<T> implements AsyncIterableIterator<T> {
  private end!: (result: IteratorResult<T>) => void;
  private readonly ended = new Promise<IteratorResult<T>>((resolve) => {
    this.end = resolve;
  });

  next(): Promise<IteratorResult<T>> {
    return this.ended;
  }

  async return(): Promise<IteratorResult<T>> {
    this.end({ value: undefined, done: true });
    return this.ended;
  }

  async throw(error: unknown): Promise<IteratorResult<T>> {
    this.end({ value: undefined, done: true });
    throw error;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}

/**
 * How often an admission re-reads access with no membership event: it only covers an event lost
 * to a pub/sub outage, and an idle stream has no events to piggyback the read on (as the guard
 * above does), so thousands of subscribers must not each read every few seconds. Jittered so
 * that subscribers admitted together do not read together.
 */
const ADMISSION_RECHECK_MS = 60_000;

/**
 * A stream with no events that ends (NOT_FOUND) once the viewer may no longer read the channel:
 * re-checked when the channel's membership changes for them, and about every minute in case such
 * an event was lost. Not an async generator: one suspended in `await` could not be returned, and
 * graphql-ws returns it when the gateway lets go of the subscriber.
 */
async function watchAccess<T>(ctx: Pick<BaseContext, 'prisma' | 'pubsub' | 'viewer' | 'access'>, channelId: string): Promise<AsyncIterableIterator<T>> {
  const channel = await ctx.access.channel(channelId);
  if (channel?.visibility === 'PUBLIC') return new UntilReturned<T>();
  // Only these outlive the subscribe resolver, not its whole context (loaders, logger): an
  // admission lasts as long as the subscriber, and there is one per subscriber.
  const { prisma, viewer } = ctx;
  const changes: AsyncQueue<MembershipChangedEvent> = await ctx.pubsub.subscribe<MembershipChangedEvent>(topics.membershipChanged(channelId));
  let timer: NodeJS.Timeout | undefined;
  const recheck = Symbol('recheck');
  const nextRecheck = () => Date.now() + ADMISSION_RECHECK_MS * (0.8 + Math.random() * 0.4);
  // A deadline, not a fresh timeout per event: others' membership changes must not put it off.
  let recheckAt = nextRecheck();
  const finish = () => {
    clearTimeout(timer);
    changes.close();
  };
  const watcher: AsyncIterableIterator<T> = {
    async next() {
      let change = changes.next();
      for (;;) {
        const outcome = await Promise.race([
          change,
          new Promise<typeof recheck>((resolve) => {
            timer = setTimeout(resolve, Math.max(0, recheckAt - Date.now()), recheck);
          }),
        ]);
        clearTimeout(timer);
        if (outcome !== recheck) {
          if (outcome.done) return { value: undefined, done: true };
          change = changes.next();
          if (outcome.value.userId !== viewer?.id) continue;
        }
        recheckAt = nextRecheck();
        if (!(await new ChannelAccess(prisma, viewer).canRead(channelId))) {
          finish();
          throw notFound('Channel');
        }
      }
    },
    async return() {
      finish();
      return { value: undefined, done: true };
    },
    async throw(error) {
      finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return watcher;
    },
  };
  return watcher;
}
