import { guardChannelStream, topics, type AsyncQueue, type TypingNotice } from '@commons/shared';
import type { MessageContext } from '../context';
import type { MessageEvent } from './messageRow';

/**
 * The live stream of a channel's topic for a viewer who may read it now (checked by the
 * caller), ending as soon as they may no longer (guardChannelStream). Closing it releases the
 * pub/sub subscription at once.
 */
function channelStream<T>(ctx: MessageContext, channelId: string, topic: string, keep: (event: T) => boolean = () => true) {
  return guardChannelStream(ctx, channelId, async () => filtered(await ctx.pubsub.subscribe<T>(topic), keep));
}

/** Every edit, delete, reaction change and pin in a channel: the message as it was just after. */
export const streamMessagesUpdated = (ctx: MessageContext, channelId: string) =>
  channelStream<MessageEvent>(ctx, channelId, topics.messageUpdated(channelId));

/** Others typing in a channel: never the viewer's own notices. */
export const streamTyping = (ctx: MessageContext, channelId: string, viewerId: string) =>
  channelStream<TypingNotice>(ctx, channelId, topics.typing(channelId), (notice) => notice.userId !== viewerId);

/** The queue's events that `keep` accepts; return() closes the queue, which ends a pending next() at once. */
function filtered<T>(queue: AsyncQueue<T>, keep: (event: T) => boolean): AsyncIterableIterator<T> {
  const iterator: AsyncIterableIterator<T> = {
    async next() {
      for (;;) {
        const result = await queue.next();
        if (result.done || keep(result.value)) return result;
      }
    },
    return: (value?: unknown) => queue.return!(value),
    throw: (err?: unknown) => queue.throw!(err),
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
