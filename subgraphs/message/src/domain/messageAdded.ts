import { topics, type AsyncQueue, type ServiceDeps } from '@commons/shared';
import type { Message } from '@commons/shared/src/generated/prisma/client';
import { messagesAfter } from './history';
import { toMessageRow, type MessageEvent } from './messageRow';

/**
 * The messages of a channel after `afterSeq` (or, without it, after the channel's current
 * end), each exactly once and in seq order: first replayed from the database, then live.
 *
 * The pub/sub subscription is active before the database is read, so nothing committed in
 * between is missed; live events already replayed are skipped. Publishes from different
 * replicas can arrive out of order, so a live event that skips ahead is preceded by the
 * missing ones read from the database (seq has no holes: see insertMessage).
 */
export function streamMessagesAdded(
  deps: Pick<ServiceDeps, 'prisma' | 'pubsub'>,
  channelId: string,
  afterSeq?: bigint,
): AsyncIterableIterator<Message> {
  const { prisma, pubsub } = deps;
  let queue: AsyncQueue<MessageEvent> | undefined;
  let stopped = false;

  async function* run(): AsyncGenerator<Message> {
    let last = afterSeq ?? (await currentSeq(deps, channelId));
    queue = await pubsub.subscribe<MessageEvent>(topics.messageAdded(channelId));
    try {
      if (stopped) return;
      for await (const row of messagesAfter(prisma, channelId, last)) {
        yield row;
        last = row.seq;
      }
      for await (const event of queue) {
        const row = toMessageRow(event);
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
  return {
    next: () => stream.next(),
    // A generator waiting for the queue's next event would only see return() when that event
    // came: closing the queue first ends the wait, so unsubscribing releases pub/sub at once.
    return: (value?: unknown) => {
      stopped = true;
      queue?.close();
      return stream.return(value as undefined);
    },
    throw: (err?: unknown) => {
      stopped = true;
      queue?.close();
      return stream.throw(err);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

async function currentSeq(deps: Pick<ServiceDeps, 'prisma'>, channelId: string): Promise<bigint> {
  const counter = await deps.prisma.channelMessageCounter.findUnique({ where: { channelId } });
  return counter?.lastSeq ?? 0n;
}
