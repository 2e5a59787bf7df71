import { poolOf } from '@commons/shared';
import { Client } from 'pg';
import { person, startStack, type Stack } from '../testkit/stack';

// Every read the product sends while people use a channel (the page a client opens, paging back,
// search, threads, sending, replying, reacting) is captured off the shared pool and EXPLAINed with
// sequential scans priced out: a Seq Scan left in a plan then means no index can serve it.
let stack: Stack;
const captured = new Map<string, unknown[]>();
beforeAll(async () => {
  stack = await startStack('query_plans', { env: { SEND_RATE_BURST: '1000' } });
  const pool = poolOf(stack.deps.prisma);
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  (pool as { query: unknown }).query = (...args: unknown[]) => {
    const [first, second] = args as [string | { text: string; values?: unknown[] }, unknown];
    const text = typeof first === 'string' ? first : first.text;
    const values = typeof first === 'string' ? (Array.isArray(second) ? second : []) : (first.values ?? []);
    if (/^\s*(SELECT|WITH)\b/i.test(text) && !/\b(INSERT|UPDATE|DELETE)\b/i.test(text)) captured.set(text, values);
    return query(...args);
  };
});
afterAll(async () => {
  await stack.closeSockets();
  await stack.close();
});

const PAGE = `query($id: ID!, $n: Int!, $before: String) {
  channel(id: $id) {
    id name memberCount unreadCount lastReadMessageId viewerMembership { role }
    members(first: $n) { edges { node { role user { id displayName } } } }
    messages(last: $n, before: $before) {
      pageInfo { hasPreviousPage startCursor }
      edges { node { id body pinned author { id displayName } replyTo { id body author { displayName } } reactions { emoji count viewerHasReacted } edits { body } } }
    }
    pinnedMessages { id }
    voiceParticipants { id user { displayName } }
    threads(first: 5) { edges { node { id title postCount author { displayName } posts(first: 5) { edges { node { body author { displayName } } } } } } }
  }
}`;

/** The plan's node types, depth first. */
function nodeTypes(plan: { 'Node Type': string; Plans?: unknown[] }): string[] {
  return [plan['Node Type'], ...((plan.Plans ?? []) as Array<typeof plan>).flatMap(nodeTypes)];
}

it('serves every read of a busy channel from an index', async () => {
  const [alice, bob] = await Promise.all([person('Alice'), person('Bob')]);
  const { createChannel: channel } = await stack.expectData(alice, `mutation { createChannel(input: { name: "busy", kind: TEXT }) { id } }`);
  await stack.expectData(bob, `mutation($id: ID!) { joinChannel(channelId: $id) { role } }`, { id: channel.id });
  const sent: Array<{ id: string; cursor: string }> = [];
  for (let i = 0; i < 30; i++) {
    const who = i % 2 ? bob : alice;
    const replyTo = i > 0 && i % 5 === 0 ? sent[i - 1].id : null;
    const { sendMessage } = await stack.expectData(
      who,
      `mutation($id: ID!, $body: String!, $replyTo: ID) { sendMessage(input: { channelId: $id, body: $body, replyToId: $replyTo }) { id cursor } }`,
      { id: channel.id, body: `message number ${i} about lunch`, replyTo },
    );
    sent.push(sendMessage);
  }
  // On a message of the second page below, so that reading it asks which reactions are the viewer's.
  await stack.expectData(bob, `mutation($m: ID!) { addReaction(messageId: $m, emoji: "👍") { id } }`, { m: sent[12].id });
  await stack.expectData(alice, `mutation($m: ID!) { pinMessage(id: $m, pinned: true) { id } }`, { m: sent[4].id });
  await stack.expectData(alice, `mutation($m: ID!) { editMessage(id: $m, body: "edited") { id } }`, { m: sent[0].id });
  await stack.expectData(bob, `mutation($c: ID!, $m: ID!) { markRead(channelId: $c, messageId: $m) { id } }`, { c: channel.id, m: sent[10].id });

  const { createChannel: forum } = await stack.expectData(alice, `mutation { createChannel(input: { name: "forum", kind: FORUM }) { id } }`);
  const { createThread } = await stack.expectData(alice, `mutation($c: ID!) { createThread(input: { channelId: $c, title: "t", body: "b" }) { id } }`, { c: forum.id });
  await stack.expectData(alice, `mutation($t: ID!) { replyToThread(threadId: $t, body: "again") { id } }`, { t: createThread.id });

  captured.clear();
  await stack.expectData(bob, PAGE, { id: channel.id, n: 10, before: null });
  await stack.expectData(bob, PAGE, { id: channel.id, n: 10, before: sent[15].cursor });
  await stack.expectData(bob, PAGE, { id: forum.id, n: 10, before: null });
  // Members past a cursor: the keyset statement the first page does not use.
  const { channel: members } = await stack.expectData(bob, `query($id: ID!) { channel(id: $id) { members(first: 1) { pageInfo { endCursor } } } }`, { id: channel.id });
  const after = members.members.pageInfo.endCursor;
  await stack.expectData(bob, `query($id: ID!, $after: String) { channel(id: $id) { members(first: 1, after: $after) { edges { node { role } } } } }`, { id: channel.id, after });
  await stack.expectData(bob, `query { searchMessages(query: "lunch", first: 5) { edges { node { id } } } }`);
  await stack.expectData(bob, `query($c: ID!) { searchMessages(query: "lunch", channelId: $c, first: 5) { edges { node { id } } } }`, { c: channel.id });
  await stack.expectData(bob, `query($t: ID!) { thread(id: $t) { title posts(first: 10) { edges { node { body } } } } }`, { t: createThread.id });
  await stack.expectData(alice, `mutation($id: ID!) { sendMessage(input: { channelId: $id, body: "one more", clientId: "c-1" }) { id } }`, { id: channel.id });
  await stack.expectData(bob, `mutation($m: ID!) { addReaction(messageId: $m, emoji: "🎉") { id } }`, { m: sent[5].id });
  await stack.expectData(bob, `query { me { id displayName } }`);
  expect(captured.size).toBeGreaterThan(10);

  const client = new Client({ connectionString: stack.db.url });
  await client.connect();
  try {
    await client.query('SET enable_seqscan = off');
    const unindexed: string[] = [];
    for (const [text, values] of captured) {
      const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${text}`, values);
      const plan = rows[0]['QUERY PLAN'][0].Plan;
      if (nodeTypes(plan).includes('Seq Scan')) unindexed.push(`${text}\n${JSON.stringify(plan)}`);
    }
    expect(unindexed).toEqual([]);
  } finally {
    await client.end();
  }
});
