import { badInput, conflict, isUuid, messageByClientId, pgRows, publishAfterCommit, topics, type ServiceDeps } from '@commons/shared';
import type { Message, PrismaClient } from '@commons/shared/src/generated/prisma/client';
import type { SendMessageInput } from '../__generated__/resolvers-types';
import type { MessageContext } from '../context';
import { fromLiveRow, LIVE_COLUMNS, toMessageEvent, type LiveMessage, type LiveRow } from './messageRow';

export const MAX_BODY_LENGTH = 4000;
export const MAX_CLIENT_ID_LENGTH = 64;

export interface NewMessage {
  channelId: string;
  authorId: string;
  body: string;
  clientId?: string | null;
  replyToId?: string | null;
}

/**
 * Sends a message as the viewer: members only, not in an archived channel. The same
 * (author, clientId) twice returns the first message and publishes nothing (and costs no
 * rate-limit token: a retry of an acknowledged send must get its answer). A send that passes
 * the rate limit either stores its message or fails before storing anything, so under a burst
 * every acknowledged send is a stored message and every refused one is RATE_LIMITED.
 */
export async function sendMessage(ctx: MessageContext, input: SendMessageInput): Promise<Message> {
  const viewer = ctx.access.requireViewer();
  return (await storeIfAllowed(ctx, viewer.id, input)) ?? (await sendChecked(ctx, viewer.id, input));
}

/**
 * The common send in one statement: a token, then the insert guarded by every check that lets
 * a send through (membership, an open channel, a parent in the channel, no earlier send with the
 * clientId). Null when any of it says no, with the token given back: the checked path then says
 * why, in its order, or answers the retry, or (after a race) sends. It saves the access read (and
 * a retry's and a reply's reads) on every send that goes through; the checks' own code stays the
 * one that decides refusals, so the guard only has to let nothing through that they refuse.
 */
async function storeIfAllowed(ctx: MessageContext, authorId: string, input: SendMessageInput): Promise<Message | null> {
  const { channelId, body, clientId, replyToId } = input;
  const plausible = isUuid(channelId) && (replyToId == null || isUuid(replyToId)) && isBody(body) && (clientId == null || isClientId(clientId));
  if (!plausible || !(await ctx.sendLimiter.tryConsume(authorId))) return null;
  let message: LiveMessage | undefined;
  try {
    const [row] = await pgRows<LiveRow>(ctx.prisma, INSERT_MESSAGE_IF_ALLOWED, [channelId, authorId, body, clientId ?? null, replyToId ?? null]);
    message = row && fromLiveRow(row);
  } catch (err) {
    // A concurrent send with the same clientId won the race: the checked path answers with its message.
    if (!isUniqueViolation(err)) throw err;
  }
  if (!message) {
    await ctx.sendLimiter.refund(authorId);
    return null;
  }
  await ctx.messageCache.invalidate(message.channelId);
  await publishMessageAdded(ctx, message);
  return message;
}

async function sendChecked(ctx: MessageContext, authorId: string, input: SendMessageInput): Promise<Message> {
  // The reads run side by side (one round trip of waiting, not up to three); their answers are
  // used only as the checks reach them, so errors come in the same order as ever.
  const [{ channel }, existing, parent] = await Promise.all([
    ctx.access.requireMember(input.channelId),
    findRetried(ctx.prisma, authorId, input.clientId),
    input.replyToId == null ? null : ctx.loaders.messageById.load(input.replyToId),
  ]);
  const body = validateBody(input.body);
  const clientId = validateClientId(input.clientId);

  // A retry of a send that succeeded returns the original, whatever happened to the channel since.
  if (existing) return existing;
  if (channel.archivedAt) throw conflict('This channel is archived');
  if (input.replyToId != null && (!parent || parent.channelId !== channel.id)) {
    throw badInput('replyToId must be a message in this channel', 'replyToId');
  }
  await ctx.sendLimiter.consume(authorId);

  let message: LiveMessage;
  try {
    message = await insertMessage(ctx.prisma, { channelId: channel.id, authorId, body, clientId, replyToId: input.replyToId });
  } catch (err) {
    // A concurrent send with the same clientId won the race: answer with its message.
    const winner = clientId && isUniqueViolation(err) ? await messageByClientId(ctx.prisma, authorId, clientId) : null;
    if (winner) return winner;
    throw err;
  }
  // Before answering: whoever reads the channel after this send sees it.
  await ctx.messageCache.invalidate(channel.id);
  await publishMessageAdded(ctx, message);
  return message;
}

/**
 * The insert of a message with its channel's next `seq`, from the counter row `counter` names
 * (VALUES for one, a SELECT from the CTEs in `before` for a guarded one), answered with the
 * author's profile and the channel's name that `messageAdded` provides: two index reads inside
 * the same statement, where the live event would otherwise cost a request to another subgraph.
 */
const insertMessageStatement = (counter: string, before = '') => `
  WITH ${before}next AS (
    INSERT INTO channel_message_counters (channel_id, last_seq) ${counter}
    ON CONFLICT (channel_id) DO UPDATE SET last_seq = channel_message_counters.last_seq + 1
    RETURNING last_seq
  ), stored AS (
    INSERT INTO messages (id, channel_id, seq, author_id, body, client_id, reply_to_id)
    SELECT gen_random_uuid(), $1::uuid, next.last_seq, $2::text, $3::text, $4::text, $5::uuid
    FROM next
    RETURNING id, channel_id AS "channelId", seq, author_id AS "authorId", body, client_id AS "clientId",
              reply_to_id AS "replyToId", created_at AS "createdAt", edited_at AS "editedAt",
              deleted_at AS "deletedAt", pinned_at AS "pinnedAt", pinned_by_id AS "pinnedById"
  )
  SELECT s.*, ${LIVE_COLUMNS}
    FROM stored s LEFT JOIN users u ON u.id = s."authorId" LEFT JOIN channels c ON c.id = s."channelId"`;

const INSERT_MESSAGE = insertMessageStatement('VALUES ($1::uuid, 1)');

// INSERT_MESSAGE behind the checks of sendChecked that let a send through; nothing (no row, no
// counter increment) when one of them does not hold.
const INSERT_MESSAGE_IF_ALLOWED = insertMessageStatement(
  'SELECT $1::uuid, 1 FROM allowed',
  `allowed AS (
    SELECT 1 FROM channels c
     WHERE c.id = $1::uuid AND c.archived_at IS NULL
       AND EXISTS (SELECT 1 FROM memberships m WHERE m.channel_id = c.id AND m.user_id = $2::text)
       AND ($5::uuid IS NULL OR EXISTS (SELECT 1 FROM messages p WHERE p.id = $5::uuid AND p.channel_id = c.id))
       AND ($4::text IS NULL OR NOT EXISTS (SELECT 1 FROM messages r WHERE r.author_id = $2::text AND r.client_id = $4::text))
  ), `,
);

/**
 * Stores a message with the channel's next `seq`, in one statement (so one round trip, and
 * the shortest possible hold on the channel's counter). The counter upsert holds the counter
 * row's lock until the statement commits, so per channel `seq` order is commit order and has
 * no holes (a failed insert rolls its increment back too): replay can never skip one.
 * On pg rather than Prisma's `$queryRaw` (every send pays it): an autocommitted statement either way.
 */
export async function insertMessage(prisma: PrismaClient, message: NewMessage): Promise<LiveMessage> {
  const values = [message.channelId, message.authorId, message.body, message.clientId ?? null, message.replyToId ?? null];
  const [row] = await pgRows<LiveRow>(prisma, INSERT_MESSAGE, values);
  return fromLiveRow(row);
}

/** Runs after commit: a stored message is never reported as failed because Redis hiccupped. */
export const publishMessageAdded = (deps: Pick<ServiceDeps, 'pubsub' | 'logger' | 'metrics'>, message: LiveMessage) =>
  publishAfterCommit(deps, topics.messageAdded(message.channelId), toMessageEvent(message));

/** 1..4000 characters, not only whitespace; else BAD_USER_INPUT. */
export function validateBody(body: string): string {
  const problem = bodyProblem(body);
  if (problem) throw badInput(problem, 'body');
  return body;
}

const isBody = (body: string) => bodyProblem(body) === null;

function bodyProblem(body: string): string | null {
  if (body.trim().length === 0) return 'A message needs some text';
  // Code points, not UTF-16 units: an emoji counts as one character, as users see it.
  if ([...body].length > MAX_BODY_LENGTH) return `A message is at most ${MAX_BODY_LENGTH} characters`;
  return null;
}

const isClientId = (clientId: string) => clientId.length >= 1 && clientId.length <= MAX_CLIENT_ID_LENGTH;

function validateClientId(clientId: string | null | undefined): string | null {
  if (clientId == null) return null;
  if (!isClientId(clientId)) throw badInput(`clientId must be 1..${MAX_CLIENT_ID_LENGTH} characters`, 'clientId');
  return clientId;
}

/** The message an earlier send with this clientId stored; null without a (valid) clientId. */
const findRetried = (prisma: PrismaClient, authorId: string, clientId: string | null | undefined) =>
  clientId != null && isClientId(clientId) ? messageByClientId(prisma, authorId, clientId) : Promise.resolve(null);

/** A concurrent send with the same (author, clientId) won: Postgres's unique_violation, as pg reports it. */
const isUniqueViolation = (err: unknown) => (err as { code?: unknown } | null)?.code === '23505';
