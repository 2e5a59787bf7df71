import { topics, type AsyncQueue, type ServiceDeps } from '@commons/shared';
import { messagesAfter } from './history';
import { toLiveMessage, type LiveMessage, type MessageEvent } from './messageRow';

/**
 * The messages of a channel after `afterSeq` (or, without it, after the channel's current
 * end), each exactly once and in seq order: first replayed from the database, then live.
 *
 * The pub/sub subscription is active before the database is read, so nothing committed in
 * between is missed; live events already replayed are skipped. Publishes from different
 * replicas can arrive out of order, so a live event that skips ahead is preceded by the
 * missing ones read from the database (seq has no holes: see insertMessage). It is active by
 * the time this resolves, not at the first read: the subscribe resolver's return is when a
 * subscription counts as live (the gateway is told so).
 */
export async function streamMessagesAdded(
  deps: Pick<ServiceDeps, 'prisma' | 'pubsub'>,
  channelId: string,
  afterSeq?: bigint,
): Promise<AsyncIterableIterator<LiveMessage>> {
  const { prisma, pubsub } = deps;
  const start = afterSeq ?? (await currentSeq(deps, channelId));
  const queue: AsyncQueue<MessageEvent> = await pubsub.subscribe<MessageEvent>(topics.messageAdded(channelId));

  async function* run(): AsyncGenerator<LiveMessage> {
    let last = start;
    try {
      for await (const row of messagesAfter(prisma, channelId, last)) {
        yield row;
        last = row.seq;
      }
      for await (const event of queue) {
        const row = toLiveMessage(event);
        if (row.seq <= last) continue;
        const missed = row.seq > last + 1n ? messagesAfter(prisma, channelId, last, row.seq) : [row];
        for await (const next of missed) {
          yield next;
          last = next.seq;
        }
      }
    } finally {
      queue.close();
    }
  }

  const stream = run();
  const iterator: AsyncIterableIterator<LiveMessage> = {
    next: () => stream.next(),
    // A generator waiting for the queue's next event would only see return() when that event
    // came, and one never started would never run its `finally`: closing the queue here
    // releases pub/sub at once either way.
    return: (value?: unknown) => {
      queue.close();
      return stream.return(value as undefined);
    },
    throw: (err?: unknown) => {
      queue.close();
      return stream.throw(err);
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

async function currentSeq(deps: Pick<ServiceDeps, 'prisma'>, channelId: string): Promise<bigint> {
  const counter = await deps.prisma.channelMessageCounter.findUnique({ where: { channelId } });
  return counter?.lastSeq ?? 0n;
}
