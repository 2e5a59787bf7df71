// `npm run seed` (scripts/seed.ts), at a small size, against a fresh database: the rows keep
// every invariant the subgraphs rely on, the community reads through the real gateway, the
// services carry on from it (next seq, next post, next member), and a rerun writes nothing.
import { signClientToken } from '@commons/shared';
import { createPrisma } from '@commons/shared';
import { Client } from 'pg';
import { seedCommunity, type SeedOptions, type SeedSummary } from '../scripts/seed';
import { createTestDatabase } from './testkit/database';
import { startStack, TEST_JWT_SECRET, type Stack } from './testkit/stack';

const OPTIONS: SeedOptions = { users: 8, messages: 400, threads: 12, seed: 7 };

/** Rows of `sql` on the stack's database. */
async function rows<T = Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Each query returns the rows that break an invariant: none may come back. */
const INVARIANTS: Record<string, string> = {
  'memberCount is the number of memberships': `
    SELECT c.name, c.member_count, count(m.user_id) AS actual FROM channels c
      LEFT JOIN memberships m ON m.channel_id = c.id GROUP BY c.id HAVING c.member_count <> count(m.user_id)`,
  'every channel has exactly one OWNER, its creator': `
    SELECT c.name FROM channels c
     WHERE (SELECT count(*) FROM memberships m WHERE m.channel_id = c.id AND m.role = 'OWNER') <> 1
        OR NOT EXISTS (SELECT 1 FROM memberships m WHERE m.channel_id = c.id AND m.user_id = c.created_by_id AND m.role = 'OWNER')`,
  'message seq runs 1..n per channel, and the counter holds n': `
    SELECT c.name, count(m.id) AS n, min(m.seq), max(m.seq), k.last_seq FROM channels c
      JOIN messages m ON m.channel_id = c.id LEFT JOIN channel_message_counters k ON k.channel_id = c.id
     GROUP BY c.id, k.last_seq HAVING min(m.seq) <> 1 OR max(m.seq) <> count(m.id) OR k.last_seq IS DISTINCT FROM max(m.seq)`,
  'seq order is time order': `
    SELECT a.id FROM messages a JOIN messages b ON b.channel_id = a.channel_id AND b.seq = a.seq + 1 WHERE b.created_at <= a.created_at`,
  'authors were members when they wrote': `
    SELECT msg.id FROM messages msg LEFT JOIN memberships m ON m.channel_id = msg.channel_id AND m.user_id = msg.author_id
     WHERE m.user_id IS NULL OR m.joined_at > msg.created_at`,
  'replies name an earlier message of the same channel': `
    SELECT r.id FROM messages r JOIN messages p ON p.id = r.reply_to_id WHERE p.channel_id <> r.channel_id OR p.seq >= r.seq`,
  'reactors are members, after the message, at most 20 emoji a message': `
    SELECT x.message_id FROM reactions x JOIN messages msg ON msg.id = x.message_id
      LEFT JOIN memberships m ON m.channel_id = msg.channel_id AND m.user_id = x.user_id
     WHERE m.user_id IS NULL OR x.created_at < msg.created_at
    UNION ALL
    SELECT message_id FROM reactions GROUP BY message_id HAVING count(DISTINCT emoji) > 20`,
  'deleted messages have no body, edits, reactions or pin': `
    SELECT msg.id FROM messages msg WHERE msg.deleted_at IS NOT NULL
       AND (msg.body <> '' OR msg.pinned_at IS NOT NULL
            OR EXISTS (SELECT 1 FROM reactions x WHERE x.message_id = msg.id)
            OR EXISTS (SELECT 1 FROM message_edits e WHERE e.message_id = msg.id))`,
  'live messages have a body; edited ones their earlier body, and editedAt': `
    SELECT msg.id FROM messages msg WHERE msg.deleted_at IS NULL AND (length(trim(msg.body)) = 0
       OR (msg.edited_at IS NULL) <> NOT EXISTS (SELECT 1 FROM message_edits e WHERE e.message_id = msg.id))`,
  'pins are by an OWNER or ADMIN, at most 50 a channel': `
    SELECT msg.id::text FROM messages msg LEFT JOIN memberships m ON m.channel_id = msg.channel_id AND m.user_id = msg.pinned_by_id
     WHERE msg.pinned_at IS NOT NULL AND (m.role IS NULL OR m.role = 'MEMBER')
    UNION ALL
    SELECT channel_id::text FROM messages WHERE pinned_at IS NOT NULL GROUP BY channel_id HAVING count(*) > 50`,
  'read markers point at the message of their seq, by members': `
    SELECT r.user_id FROM read_markers r LEFT JOIN messages msg ON msg.id = r.last_read_message_id
      LEFT JOIN memberships m ON m.channel_id = r.channel_id AND m.user_id = r.user_id
     WHERE msg.id IS NULL OR msg.channel_id <> r.channel_id OR msg.seq <> r.last_read_seq OR m.user_id IS NULL`,
  'nothing was written in an archived channel after it was archived': `
    SELECT msg.id FROM messages msg JOIN channels c ON c.id = msg.channel_id WHERE c.archived_at IS NOT NULL AND msg.created_at > c.archived_at`,
  'threads live in FORUM channels, started by members': `
    SELECT t.id FROM threads t JOIN channels c ON c.id = t.channel_id
      LEFT JOIN memberships m ON m.channel_id = t.channel_id AND m.user_id = t.author_id
     WHERE c.kind <> 'FORUM' OR m.user_id IS NULL`,
  "postCount is the number of posts, seq runs 1..postCount, the opening post is the author's at creation": `
    SELECT t.title FROM threads t JOIN posts p ON p.thread_id = t.id
     GROUP BY t.id HAVING t.post_count <> count(*) OR min(p.seq) <> 1 OR max(p.seq) <> count(*)
        OR t.last_activity_at <> max(p.created_at)
        OR t.created_at <> min(p.created_at) FILTER (WHERE p.seq = 1)
        OR bool_or(p.seq = 1 AND p.author_id <> t.author_id)`,
  'posts by members, in seq order by time, deleted ones empty': `
    SELECT p.id FROM posts p JOIN threads t ON t.id = p.thread_id
      LEFT JOIN memberships m ON m.channel_id = t.channel_id AND m.user_id = p.author_id
     WHERE m.user_id IS NULL OR (p.deleted_at IS NOT NULL AND p.body <> '') OR (p.deleted_at IS NULL AND length(trim(p.body)) = 0)
    UNION ALL
    SELECT a.id FROM posts a JOIN posts b ON b.thread_id = a.thread_id AND b.seq = a.seq + 1 WHERE b.created_at < a.created_at`,
  'thread tags are lowercase words, at most 5': `
    SELECT t.id FROM threads t WHERE cardinality(t.tags) > 5 OR EXISTS (SELECT 1 FROM unnest(t.tags) tag WHERE tag <> lower(tag) OR tag ~ '[\\s,]' OR length(tag) > 24)`,
};

describe('npm run seed', () => {
  let stack: Stack;
  let summary: SeedSummary;
  let viewer: { token: string };

  beforeAll(async () => {
    stack = await startStack('seed');
    summary = await seedCommunity(stack.deps.prisma, OPTIONS);
    viewer = { token: await signClientToken(TEST_JWT_SECRET, summary.viewer) };
  }, 60_000);
  afterAll(() => stack?.close());

  it('makes a community of every kind of channel, with history', () => {
    expect(summary.created).toBe(true);
    expect(summary.users).toBe(8);
    expect(summary.channels).toEqual({ total: 15, text: 9, voice: 3, forum: 3, private: 4, archived: 1 });
    expect(summary.messages).toBeGreaterThanOrEqual(380);
    expect(summary.messages).toBeLessThanOrEqual(420);
    for (const key of ['replies', 'reactions', 'edits', 'pins', 'readMarkers', 'memberships'] as const) expect(summary[key]).toBeGreaterThan(0);
    expect(summary.threads).toBeGreaterThanOrEqual(10);
    expect(summary.posts).toBeGreaterThan(summary.threads);
  });

  it.each(Object.entries(INVARIANTS))('keeps the invariant: %s', async (_name, sql) => {
    expect(await rows(stack.db.url, sql)).toEqual([]);
  });

  it('reads through the gateway: channels, history with replies and reactions, threads with posts', async () => {
    const data = await stack.expectData(viewer, `{ channels(first: 50) { edges { node { id name kind memberCount } } } }`);
    const names = data.channels.edges.map((e: { node: { name: string } }) => e.node.name).sort();
    expect(names).toEqual(Object.keys(summary.channelIds).sort());

    const general = await stack.expectData(
      viewer,
      `query($id: ID!) { channel(id: $id) { name memberCount unreadCount
         messages(last: 30) { edges { node { body author { displayName } replyTo { id } reactions { emoji count } } } } } }`,
      { id: summary.channelIds.general },
    );
    const messages = general.channel.messages.edges.map((e: { node: unknown }) => e.node);
    expect(messages).toHaveLength(30);
    expect(messages.every((m: { author: { displayName: string } }) => m.author.displayName.length > 0)).toBe(true);

    const forum = await stack.expectData(
      viewer,
      `query($id: ID!) { channel(id: $id) { threads(first: 10) { edges { node { id title pinned postCount } } } } }`,
      { id: summary.channelIds['q-and-a'] },
    );
    const threads = forum.channel.threads.edges.map((e: { node: { id: string; pinned: boolean; postCount: number } }) => e.node);
    expect(threads.length).toBeGreaterThan(0);
    expect(threads[0].pinned).toBe(true);
    for (const t of threads.slice(0, 3)) {
      const read = await stack.expectData(viewer, `query($id: ID!) { thread(id: $id) { posts(first: 30) { edges { node { body author { displayName } } } } } }`, { id: t.id });
      expect(read.thread.posts.edges).toHaveLength(Math.min(t.postCount, 30));
    }
  });

  it('is idempotent: a second run finds the community and writes nothing', async () => {
    const again = await seedCommunity(stack.deps.prisma, OPTIONS);
    expect(again.created).toBe(false);
    expect({ ...again, created: true }).toEqual(summary);
  });

  it('is deterministic: the same seed makes the same rows in another database', async () => {
    const other = await createTestDatabase('seed_again');
    const prisma = createPrisma({ url: other.url, poolSize: 2, connectTimeoutMs: 5000 });
    try {
      const second = await seedCommunity(prisma, OPTIONS);
      expect({ ...second, created: true }).toEqual(summary);
      const content = (url: string) =>
        rows(url, `SELECT id, channel_id, seq::int, author_id, body, reply_to_id FROM messages ORDER BY channel_id, seq`);
      expect(await content(other.url)).toEqual(await content(stack.db.url));
    } finally {
      await prisma.$disconnect();
      await other.drop();
    }
  });

  it('the services carry on from it: the next seq, the next post, the next member', async () => {
    const general = summary.channelIds.general;
    const [{ last }] = await rows<{ last: number }>(stack.db.url, `SELECT max(seq)::int AS last FROM messages WHERE channel_id = '${general}'`);
    const sent = await stack.expectData(viewer, `mutation($c: ID!) { sendMessage(input: { channelId: $c, body: "after the seed", clientId: "s1" }) { id } }`, { c: general });
    const [{ seq }] = await rows<{ seq: number }>(stack.db.url, `SELECT seq::int FROM messages WHERE id = '${sent.sendMessage.id}'`);
    expect(seq).toBe(last + 1);

    const [open] = await rows<{ id: string; post_count: number }>(
      stack.db.url,
      `SELECT id, post_count FROM threads WHERE channel_id = '${summary.channelIds['q-and-a']}' AND NOT locked ORDER BY created_at LIMIT 1`,
    );
    const reply = await stack.expectData(viewer, `mutation($t: ID!) { replyToThread(threadId: $t, body: "me too") { id thread { postCount } } }`, { t: open.id });
    expect(reply.replyToThread.thread.postCount).toBe(open.post_count + 1);

    // Someone not yet in a public channel joins it: memberCount goes up by one from the seeded count.
    const [outsider] = await rows<{ user_id: string; channel_id: string; member_count: number }>(
      stack.db.url,
      `SELECT u.id AS user_id, c.id AS channel_id, c.member_count FROM users u CROSS JOIN channels c
        WHERE c.visibility = 'PUBLIC' AND c.archived_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.channel_id = c.id AND m.user_id = u.id)
        ORDER BY c.name, u.id LIMIT 1`,
    );
    expect(outsider).toBeDefined();
    const joiner = { token: await signClientToken(TEST_JWT_SECRET, { id: outsider.user_id }) };
    await stack.expectData(joiner, `mutation($c: ID!) { joinChannel(channelId: $c) { role } }`, { c: outsider.channel_id });
    const after = await stack.expectData(joiner, `query($c: ID!) { channel(id: $c) { memberCount } }`, { c: outsider.channel_id });
    expect(after.channel.memberCount).toBe(outsider.member_count + 1);
  });
});
