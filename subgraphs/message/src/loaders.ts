import DataLoader from 'dataloader';
import { channelsById, messagesById, pinnedMessages, usersById, type RequestMemo, type Viewer } from '@commons/shared';
import type { Channel, Message, MessageEdit, PrismaClient, User } from '@commons/shared/src/generated/prisma/client';
import { reactionCounts, reactionsBy, type ReactionCount } from './domain/reactions';
import { readLatestPage, type LatestPage } from './domain/history';
import type { MessagePageCache } from './domain/messageCache';
import { readStates, type ReadState } from './domain/readState';

/** Per-operation loaders: every row a list of messages (or channels) can reach costs one query per batch. */
export interface MessageLoaders {
  /** Messages by id, in key order; null for a missing message or a malformed id. */
  messageById: DataLoader<string, Message | null>;
  /** Each message's reaction counts, in first-use order. */
  reactionCounts: DataLoader<string, ReactionCount[]>;
  /** The emoji the viewer reacted with, per message. */
  viewerReactions: DataLoader<string, ReadonlySet<string>>;
  /** Earlier bodies, oldest first. */
  editsByMessage: DataLoader<string, MessageEdit[]>;
  /**
   * Pinned messages per channel, newest pin first: from the operation's read of the channel's
   * latest page where it made one (a page load asks for the messages too, and the cached page
   * holds the pins), the other channels of the batch in one statement.
   */
  pinnedByChannel: DataLoader<string, Message[]>;
  /**
   * A channel's latest page and pins, read once per operation (see history.ts); the read primes
   * the message and reaction-count loaders with its rows.
   */
  latestPage(channelId: string): Promise<LatestPage>;
  /** The viewer's read state per channel (only asked for channels the viewer belongs to). */
  readState: DataLoader<string, ReadState>;
  /**
   * Authors, for the fields the subscriptions provide when an event does not carry them (see
   * LiveMessage); every caller reads them alike, so one loader serves the whole HTTP request.
   */
  userById: DataLoader<string, User | null>;
  /** Channels, for the name the message subscriptions provide when an event does not carry it. */
  channelById: DataLoader<string, Channel | null>;
  /** Forgets what this operation read about a message that it has just changed. */
  clearMessage(messageId: string): void;
  /** Forgets everything: a live stream reuses one context for every event. */
  clearAll(): void;
}

/** Groups rows by a key, keeping the rows' order, with an empty list for every key asked. */
function groupBy<T>(keys: readonly string[], rows: T[], keyOf: (row: T) => string): T[][] {
  const groups = new Map<string, T[]>(keys.map((k) => [k, []]));
  for (const row of rows) groups.get(keyOf(row))?.push(row);
  return keys.map((k) => groups.get(k) ?? []);
}

export function createLoaders(prisma: PrismaClient, viewer: Viewer | null, messageCache: MessagePageCache, perRequest: RequestMemo): MessageLoaders {
  const latestPages = new Map<string, Promise<LatestPage>>();
  const loaders = {
    messageById: new DataLoader<string, Message | null>((ids) => messagesById(prisma, ids)),
    reactionCounts: new DataLoader<string, ReactionCount[]>(async (ids) => {
      const counts = await reactionCounts(prisma, ids);
      return ids.map((id) => counts.get(id) ?? []);
    }),
    viewerReactions: new DataLoader<string, ReadonlySet<string>>(async (ids) => {
      const rows = viewer ? await reactionsBy(prisma, viewer.id, ids) : [];
      return groupBy(ids, rows, (r) => r.messageId).map((mine) => new Set(mine.map((r) => r.emoji)));
    }),
    editsByMessage: new DataLoader<string, MessageEdit[]>(async (ids) => {
      const rows = await prisma.messageEdit.findMany({ where: { messageId: { in: [...ids] } }, orderBy: [{ editedAt: 'asc' }, { id: 'asc' }] });
      return groupBy(ids, rows, (r) => r.messageId);
    }),
    pinnedByChannel: new DataLoader<string, Message[]>(async (channelIds) => {
      // The batch runs after the operation's resolvers of this tick: a page's messages have
      // asked for the latest page by then, whatever the order of the fields.
      const fromPages = await Promise.all(channelIds.map((id) => latestPages.get(id)?.then((page) => page.pinned, () => null) ?? null));
      const rest = channelIds.filter((_, i) => !fromPages[i]);
      const read = rest.length ? groupBy(rest, await pinnedMessages(prisma, rest), (r) => r.channelId) : [];
      return fromPages.map((pinned) => pinned ?? read.shift()!);
    }),
    readState: new DataLoader<string, ReadState>(async (channelIds) => {
      if (!viewer) return channelIds.map(() => ({ lastReadMessageId: null, unreadCount: 0 }));
      const states = await readStates(prisma, viewer.id, channelIds);
      return channelIds.map((id) => states.get(id) ?? { lastReadMessageId: null, unreadCount: 0 });
    }),
    userById: perRequest.once('message.userById', () => new DataLoader<string, User | null>((ids) => usersById(prisma, ids))),
    channelById: new DataLoader<string, Channel | null>(async (ids) =>
      (await channelsById(prisma, ids, viewer?.id ?? null)).map((read) => read?.channel ?? null),
    ),
  };
  return {
    ...loaders,
    latestPage(channelId) {
      let page = latestPages.get(channelId);
      if (!page) {
        page = readLatestPage(prisma, messageCache, channelId).then((latest) => {
          for (const row of [...latest.rows, ...(latest.pinned ?? [])]) loaders.messageById.prime(row.id, row);
          for (const row of latest.rows) loaders.reactionCounts.prime(row.id, latest.counts.get(row.id) ?? []);
          return latest;
        });
        latestPages.set(channelId, page);
      }
      return page;
    },
    clearMessage(messageId) {
      for (const loader of [loaders.messageById, loaders.reactionCounts, loaders.viewerReactions, loaders.editsByMessage]) loader.clear(messageId);
      loaders.pinnedByChannel.clearAll();
      latestPages.clear();
    },
    clearAll() {
      for (const loader of Object.values(loaders)) loader.clearAll();
      latestPages.clear();
    },
  };
}
