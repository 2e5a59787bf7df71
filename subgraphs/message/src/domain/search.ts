import { badInput, decodeCursor, encodeCursor, isUuid, parsePageArgs, toConnection, type Connection } from '@commons/shared';
import { Prisma, type Message } from '@commons/shared/src/generated/prisma/client';
import type { MessageContext } from '../context';

export const MAX_QUERY_LENGTH = 200;
const DEFAULT_PAGE_SIZE = 20;
const CURSOR_KIND = 's';
/** The text-search configuration of the generated `search_vector` column (see the migration). */
const TS_CONFIG = 'english';
// What the cursor was made of: a real as Postgres prints it, and Date#toISOString.
const REAL = /^\d+(\.\d+)?(e-?\d+)?$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface Hit {
  id: string;
  /** ts_rank as Postgres prints a real: it reads back as exactly the same value. */
  rank: string;
  created_at: Date;
}

export interface SearchArgs {
  query: string;
  channelId?: string | null;
  first?: number | null;
  after?: string | null;
}

/**
 * Full-text search (websearch syntax: words, "phrases", -exclusions, or) over the channels the
 * viewer may read, or one of them; best rank first, then newest. Deleted messages are never
 * found. Keyset pages on (rank, createdAt, id), so a page costs the same however deep it is.
 */
export async function searchMessages(ctx: MessageContext, args: SearchArgs): Promise<Connection<Message>> {
  const viewer = ctx.access.requireViewer();
  const query = args.query.trim();
  if (query.length === 0) throw badInput('Search for something', 'query');
  if (query.length > MAX_QUERY_LENGTH) throw badInput(`A search is at most ${MAX_QUERY_LENGTH} characters`, 'query');
  const page = parsePageArgs({ first: args.first, after: args.after }, DEFAULT_PAGE_SIZE);
  if (args.channelId != null) await ctx.access.requireReadable(args.channelId);
  const after = page.direction === 'forward' && page.after !== undefined ? parseSearchCursor(page.after) : undefined;

  // The only cross-domain read here is authorization's own (visibility, membership), as a
  // subquery: PUBLIC channels and the viewer's memberships.
  const channels =
    args.channelId != null
      ? Prisma.sql`m.channel_id = ${args.channelId}::uuid`
      : Prisma.sql`m.channel_id IN (SELECT id FROM channels WHERE visibility = 'PUBLIC'
                                    UNION SELECT channel_id FROM memberships WHERE user_id = ${viewer.id})`;
  const rank = Prisma.sql`ts_rank(m.search_vector, q)`;
  const keyset = after
    ? Prisma.sql`AND (${rank}, m.created_at, m.id) < (${after.rank}::real, ${after.createdAt}::timestamptz, ${after.id}::uuid)`
    : Prisma.empty;
  const hits = await ctx.prisma.$queryRaw<Hit[]>`
    SELECT m.id::text AS id, ${rank}::text AS rank, m.created_at
      FROM messages m, websearch_to_tsquery(${TS_CONFIG}::regconfig, ${query}) AS q
     WHERE m.search_vector @@ q AND m.deleted_at IS NULL AND ${channels} ${keyset}
     ORDER BY ${rank} DESC, m.created_at DESC, m.id DESC
     LIMIT ${page.limit + 1}`;

  const messages = await ctx.loaders.messageById.loadMany(hits.map((h) => h.id));
  const rows = hits.flatMap((hit, i) => {
    const message = messages[i];
    // Deleted between the two reads: still never found.
    return message && !(message instanceof Error) && !message.deletedAt ? [{ hit, message }] : [];
  });
  const connection = toConnection(rows, page, ({ hit }) => encodeCursor(CURSOR_KIND, [hit.rank, hit.created_at.toISOString(), hit.id]));
  return { ...connection, edges: connection.edges.map(({ cursor, node }) => ({ cursor, node: node.message })) };
}

function parseSearchCursor(cursor: string): { rank: string; createdAt: string; id: string } {
  const [rank, createdAt, id] = decodeCursor(CURSOR_KIND, cursor, 3, 'after');
  if (!REAL.test(rank) || !ISO.test(createdAt) || !isUuid(id)) {
    throw badInput('That cursor is not valid here', 'after');
  }
  return { rank, createdAt, id };
}
