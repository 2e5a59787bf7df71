import { randomUUID } from 'node:crypto';
import { poolOf, signClientToken, topics } from '@commons/shared';
import { toMessageEvent } from '../../subgraphs/message/src/domain/messageRow';
import { waitFor } from '../testkit/builders';
import { person, startStack, TEST_JWT_SECRET, type Stack } from '../testkit/stack';

// One live stream per operation for everyone watching it: the gateway follows it once and
// admits each subscriber through the subgraph's own checks, as that subscriber.
let stack: Stack;
beforeAll(async () => {
  stack = await startStack('live_fanout', { env: { SEND_RATE_BURST: '1000' } });
});
afterAll(async () => {
  await stack.closeSockets();
  await stack.close();
});

const MESSAGES = `subscription($id: ID!) { messageAdded(channelId: $id) { body author { displayName } channel { name memberCount } } }`;
const SEND = `mutation($id: ID!, $body: String!) { sendMessage(input: { channelId: $id, body: $body }) { id } }`;
const settle = () => new Promise((r) => setTimeout(r, 400));

/** Waits until the gateway holds `subscribers` subscribers, every one admitted (live). */
const live = (subscribers: number) =>
  waitFor(() => {
    const stats = stack.gateway.hub.stats;
    return stats.subscribers === subscribers && stats.admitting === 0;
  }, `${subscribers} admitted subscribers`, 10_000);

async function channelOf(owner: { token: string }, visibility: 'PUBLIC' | 'PRIVATE', ...members: Array<{ id: string; token: string }>) {
  const { createChannel } = await stack.expectData(
    owner,
    `mutation($v: ChannelVisibility!) { createChannel(input: { name: "room", kind: TEXT, visibility: $v }) { id name } }`,
    { v: visibility },
  );
  for (const member of members) {
    await stack.expectData(member, `{ me { id } }`);
    await stack.expectData(owner, `mutation($c: ID!, $u: ID!) { inviteMember(channelId: $c, userId: $u) { role } }`, { c: createChannel.id, u: member.id });
  }
  return createChannel as { id: string; name: string };
}

const bodies = (sub: { results: Array<{ data?: any }> }) => sub.results.flatMap((r) => (r.data ? [r.data.messageAdded.body] : []));

it('serves different people watching the same channel from one pipeline, with the same event', async () => {
  const [alice, bob, carol] = await Promise.all([person('Alice'), person('Bob'), person('Carol')]);
  const channel = await channelOf(alice, 'PUBLIC');
  const before = stack.gateway.hub.stats;
  const subs = [alice, bob, carol].map((who) => stack.subscribe(stack.connect(who), MESSAGES, { id: channel.id }));
  await live(before.subscribers + 3);
  expect(stack.gateway.hub.stats).toEqual({ pipelines: before.pipelines + 1, subscribers: before.subscribers + 3, admitting: 0 });

  await stack.expectData(alice, SEND, { id: channel.id, body: 'hello all' });
  const received = await Promise.all(subs.map(async (s) => (await s.next(1))[0]));
  expect(received[0]).toEqual({ data: { messageAdded: { body: 'hello all', author: { displayName: 'Alice' }, channel: { name: channel.name, memberCount: 1 } } } });
  expect(received[1]).toEqual(received[0]);
  expect(received[2]).toEqual(received[0]);
  for (const s of subs) s.unsubscribe();
  await waitFor(() => stack.gateway.hub.stats.subscribers === before.subscribers, 'the subscribers to leave');
  expect(stack.gateway.hub.stats).toEqual(before);
});

it('refuses a non-member of a private channel even while members share its stream', async () => {
  const [owner, member, outsider] = await Promise.all([person('Owner'), person('Member'), person('Outsider')]);
  const channel = await channelOf(owner, 'PRIVATE', member);
  const base = stack.gateway.hub.stats.subscribers;
  const memberSub = stack.subscribe(stack.connect(member), MESSAGES, { id: channel.id });
  await live(base + 1);
  const outsiderSub = stack.subscribe(stack.connect(outsider), MESSAGES, { id: channel.id });
  await outsiderSub.end();
  expect(outsiderSub.results.at(-1)?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

  await stack.expectData(owner, SEND, { id: channel.id, body: 'members only' });
  expect(bodies(await memberSub.next(1).then(() => memberSub))).toEqual(['members only']);
  expect(bodies(outsiderSub)).toEqual([]);
  memberSub.unsubscribe();
});

it('ends only the removed member when a private channel stream is shared', async () => {
  const [owner, stays, leaves] = await Promise.all([person('Owner'), person('Stays'), person('Leaves')]);
  const channel = await channelOf(owner, 'PRIVATE', stays, leaves);
  const base = stack.gateway.hub.stats.subscribers;
  const staying = stack.subscribe(stack.connect(stays), MESSAGES, { id: channel.id });
  const leaving = stack.subscribe(stack.connect(leaves), MESSAGES, { id: channel.id });
  await live(base + 2);
  await stack.expectData(owner, SEND, { id: channel.id, body: 'one' });
  await Promise.all([staying.next(1), leaving.next(1)]);

  await stack.expectData(owner, `mutation($c: ID!, $u: ID!) { removeMember(channelId: $c, userId: $u) }`, { c: channel.id, u: leaves.id });
  await leaving.end();
  expect(leaving.results.at(-1)?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  await stack.expectData(owner, SEND, { id: channel.id, body: 'two' });
  await staying.next(2);
  expect(bodies(staying)).toEqual(['one', 'two']);
  expect(bodies(leaving)).toEqual(['one']);
  expect(staying.ended).toBeUndefined();
  staying.unsubscribe();
});

it('resolves fields that depend on the caller once per caller', async () => {
  const [owner, member] = await Promise.all([person('Owner'), person('Member')]);
  const channel = await channelOf(owner, 'PUBLIC', member);
  const query = `subscription($id: ID!) { messageAdded(channelId: $id) { body channel { viewerMembership { role user { displayName } } } } }`;
  const before = stack.gateway.hub.stats.pipelines;
  const base = stack.gateway.hub.stats.subscribers;
  const ownerSub = stack.subscribe(stack.connect(owner), query, { id: channel.id });
  const memberSub = stack.subscribe(stack.connect(member), query, { id: channel.id });
  await live(base + 2);
  await settle(); // per-caller pipelines are live once the subgraph has subscribed, which the gateway is not told
  expect(stack.gateway.hub.stats.pipelines).toBe(before + 2);

  await stack.expectData(owner, SEND, { id: channel.id, body: 'whose?' });
  const [[forOwner], [forMember]] = await Promise.all([ownerSub.next(1), memberSub.next(1)]);
  expect(forOwner.data!.messageAdded.channel.viewerMembership).toEqual({ role: 'OWNER', user: { displayName: 'Owner' } });
  expect(forMember.data!.messageAdded.channel.viewerMembership).toEqual({ role: 'MEMBER', user: { displayName: 'Member' } });
  ownerSub.unsubscribe();
  memberSub.unsubscribe();
});

it('never shows someone their own typing through a shared stream', async () => {
  const [alice, bob] = await Promise.all([person('Alice'), person('Bob')]);
  const channel = await channelOf(alice, 'PUBLIC', bob);
  const query = `subscription($id: ID!) { typing(channelId: $id) { user { displayName } } }`;
  const base = stack.gateway.hub.stats.subscribers;
  const aliceSub = stack.subscribe(stack.connect(alice), query, { id: channel.id });
  const bobSub = stack.subscribe(stack.connect(bob), query, { id: channel.id });
  await live(base + 2);
  await settle();
  await stack.expectData(alice, `mutation($id: ID!) { sendTyping(channelId: $id) }`, { id: channel.id });
  await stack.expectData(bob, `mutation($id: ID!) { sendTyping(channelId: $id) }`, { id: channel.id });
  await Promise.all([aliceSub.next(1), bobSub.next(1)]);
  await settle();
  expect(aliceSub.results.map((r) => r.data?.typing.user.displayName)).toEqual(['Bob']);
  expect(bobSub.results.map((r) => r.data?.typing.user.displayName)).toEqual(['Alice']);
  aliceSub.unsubscribe();
  bobSub.unsubscribe();
});

it('delivers a burst in order although events are resolved concurrently', async () => {
  const alice = await person('Alice');
  const channel = await channelOf(alice, 'PUBLIC');
  const base = stack.gateway.hub.stats.subscribers;
  const sub = stack.subscribe(stack.connect(alice), MESSAGES, { id: channel.id });
  await live(base + 1);
  const sent = Array.from({ length: 40 }, (_, i) => `m${i}`);
  // Sent one after another, so the stored order is the sending order.
  for (const body of sent) await stack.expectData(alice, SEND, { id: channel.id, body });
  await sub.next(sent.length);
  expect(bodies(sub)).toEqual(sent);
  sub.unsubscribe();
});

it('resolves the events of different streams that arrive together with one request to the subgraph', async () => {
  const alice = await person('Alice');
  const channels: Array<{ id: string; name: string }> = [];
  for (let i = 0; i < 4; i++) channels.push(await channelOf(alice, 'PUBLIC'));
  const base = stack.gateway.hub.stats.subscribers;
  const client = stack.connect(alice);
  const subs = channels.map((c) => stack.subscribe(client, MESSAGES, { id: c.id }));
  await live(base + channels.length);
  for (const c of channels) await stack.expectData(alice, SEND, { id: c.id, body: `in ${c.name}` });
  await Promise.all(subs.map((s) => s.next(1)));
  const rows = await stack.deps.prisma.message.findMany({ where: { channelId: { in: channels.map((c) => c.id) } } });
  const author = await stack.deps.prisma.user.findUniqueOrThrow({ where: { id: alice.id } });

  let channelRequests = 0;
  const count = () => void channelRequests++;
  stack.subgraphs.channel.httpServer.on('request', count);
  try {
    // Four new events (each a stored message's next one), published at once while this process
    // (the subgraphs' and the gateway's) is held, so they reach the gateway in one read of its
    // upstream socket.
    // Each event carries its author and channel as a send's does (what messageAdded provides).
    for (const row of rows) {
      const live = { ...row, authorProfile: { handle: author.handle, displayName: author.displayName, avatarUrl: null }, channelName: channels.find((c) => c.id === row.channelId)!.name };
      const event = { ...toMessageEvent(live), id: randomUUID(), seq: String(row.seq + 1n), body: `again in ${row.channelId}` };
      void stack.deps.pubsub.publish(topics.messageAdded(row.channelId), event);
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    await Promise.all(subs.map((s) => s.next(2)));
  } finally {
    stack.subgraphs.channel.httpServer.off('request', count);
  }
  // Every stream got its own event, its author and channel resolved...
  subs.forEach((s, i) =>
    expect(s.results[1]).toEqual({ data: { messageAdded: { ...s.results[0].data!.messageAdded, body: `again in ${channels[i].id}` } } }),
  );
  // ...from one batched request to the channel subgraph for all four (each event's channel's
  // memberCount, which messageAdded does not provide), not one request per event.
  expect(channelRequests).toBe(1);
  for (const s of subs) s.unsubscribe();
});

describe('a live message carries what messageAdded provides of its author and channel', () => {
  const PROVIDED = `subscription($id: ID!, $after: String) { messageAdded(channelId: $id, after: $after) { body author { id handle displayName avatarUrl } channel { id name } } }`;
  const SEND_CURSOR = `mutation($id: ID!, $body: String!) { sendMessage(input: { channelId: $id, body: $body }) { cursor } }`;

  /** The SQL statements on the shared pool while `run` runs. */
  async function statementsDuring(run: () => Promise<void>) {
    const pool = poolOf(stack.deps.prisma);
    const query = pool.query;
    const seen: string[] = [];
    (pool as { query: unknown }).query = (...args: unknown[]) => {
      const first = args[0] as string | { text: string };
      seen.push(typeof first === 'string' ? first : first.text);
      return (query as (...a: unknown[]) => unknown).apply(pool, args);
    };
    try {
      await run();
    } finally {
      pool.query = query;
    }
    return seen;
  }

  /** Counts the channel subgraph's requests while `run` runs. */
  async function channelRequestsDuring(run: () => Promise<void>) {
    let requests = 0;
    const count = () => void requests++;
    stack.subgraphs.channel.httpServer.on('request', count);
    try {
      await run();
    } finally {
      stack.subgraphs.channel.httpServer.off('request', count);
    }
    return requests;
  }

  it('resolves them in the message subgraph: no request to the channel subgraph per event', async () => {
    const alice = await person('Alice');
    const channel = await channelOf(alice, 'PUBLIC');
    const base = stack.gateway.hub.stats.subscribers;
    const sub = stack.subscribe(stack.connect(alice), PROVIDED, { id: channel.id });
    await live(base + 1);
    const requests = await channelRequestsDuring(async () => {
      await stack.expectData(alice, SEND, { id: channel.id, body: 'provided' });
      await sub.next(1);
    });
    expect(sub.results[0]).toEqual({
      data: { messageAdded: { body: 'provided', author: { id: alice.id, handle: alice.handle, displayName: 'Alice', avatarUrl: null }, channel: { id: channel.id, name: channel.name } } },
    });
    expect(requests).toBe(0);
    sub.unsubscribe();
  });

  it('carries the author as they are when they send, after a rename too', async () => {
    const alice = await person('Alice');
    const channel = await channelOf(alice, 'PUBLIC');
    const base = stack.gateway.hub.stats.subscribers;
    const sub = stack.subscribe(stack.connect(alice), PROVIDED, { id: channel.id });
    await live(base + 1);
    await stack.expectData(alice, SEND, { id: channel.id, body: 'before' });
    // A token with a new name renames the user on their next request.
    const renamed = { ...alice, token: await signClientToken(TEST_JWT_SECRET, { id: alice.id, name: 'Alicia', handle: alice.handle }) };
    expect(await stack.expectData(renamed, `{ me { displayName } }`)).toEqual({ me: { displayName: 'Alicia' } });
    await stack.expectData(renamed, SEND, { id: channel.id, body: 'after' });
    await sub.next(2);
    expect(sub.results.map((r) => [r.data?.messageAdded.body, r.data?.messageAdded.author.displayName])).toEqual([
      ['before', 'Alice'],
      ['after', 'Alicia'],
    ]);
    sub.unsubscribe();
  });

  it('reads them with replayed messages, in the replay\'s own statement', async () => {
    const [alice, bob] = await Promise.all([person('Alice'), person('Bob')]);
    const channel = await channelOf(alice, 'PUBLIC', bob);
    const { sendMessage: first } = await stack.expectData(alice, SEND_CURSOR, { id: channel.id, body: 'first' });
    await stack.expectData(alice, SEND, { id: channel.id, body: 'second' });
    await stack.expectData(bob, SEND, { id: channel.id, body: 'third' });
    const statements = await statementsDuring(async () => {
      const sub = stack.subscribe(stack.connect(alice), PROVIDED, { id: channel.id, after: first.cursor });
      await sub.next(2);
      const profile = (who: typeof alice, displayName: string) => ({ id: who.id, handle: who.handle, displayName, avatarUrl: null });
      expect(sub.results).toEqual([
        { data: { messageAdded: { body: 'second', author: profile(alice, 'Alice'), channel: { id: channel.id, name: channel.name } } } },
        { data: { messageAdded: { body: 'third', author: profile(bob, 'Bob'), channel: { id: channel.id, name: channel.name } } } },
      ]);
      sub.unsubscribe();
    });
    // Not a users or channels read per replayed message (the fallback below).
    expect(statements.filter((s) => /FROM users WHERE id = ANY|c\.name, c\.topic/.test(s))).toEqual([]);
  });

  it('reads them for an event that does not carry them (as from a replica of an older version)', async () => {
    const alice = await person('Alice');
    const channel = await channelOf(alice, 'PUBLIC');
    const base = stack.gateway.hub.stats.subscribers;
    const sub = stack.subscribe(stack.connect(alice), PROVIDED, { id: channel.id });
    await live(base + 1);
    await stack.expectData(alice, SEND, { id: channel.id, body: 'carried' });
    await sub.next(1);
    const row = await stack.deps.prisma.message.findFirstOrThrow({ where: { channelId: channel.id } });
    const bare = { ...toMessageEvent(row), id: randomUUID(), seq: String(row.seq + 1n), body: 'bare' };
    await stack.deps.pubsub.publish(topics.messageAdded(channel.id), bare);
    await sub.next(2);
    expect(sub.results[1]).toEqual({ data: { messageAdded: { ...sub.results[0].data!.messageAdded, body: 'bare' } } });
    sub.unsubscribe();
  });

  it('as does a change to a message, for every watcher\'s own pipeline', async () => {
    const [alice, bob, carol] = await Promise.all([person('Alice'), person('Bob'), person('Carol')]);
    const channel = await channelOf(alice, 'PUBLIC', bob, carol);
    const { sendMessage: message } = await stack.expectData(alice, `mutation($id: ID!) { sendMessage(input: { channelId: $id, body: "react" }) { id } }`, { id: channel.id });
    // viewerHasReacted is the watcher's own: a pipeline per watcher.
    const query = `subscription($id: ID!) { messageUpdated(channelId: $id) { body reactions { emoji count viewerHasReacted } author { id handle displayName avatarUrl } channel { id name } } }`;
    const base = stack.gateway.hub.stats.subscribers;
    const subs = [bob, carol].map((who) => stack.subscribe(stack.connect(who), query, { id: channel.id }));
    await live(base + 2);
    const requests = await channelRequestsDuring(async () => {
      await stack.expectData(bob, `mutation($m: ID!) { addReaction(messageId: $m, emoji: "👍") { id } }`, { m: message.id });
      await Promise.all(subs.map((s) => s.next(1)));
    });
    const event = (mine: boolean) => ({
      data: {
        messageUpdated: {
          body: 'react',
          reactions: [{ emoji: '👍', count: 1, viewerHasReacted: mine }],
          author: { id: alice.id, handle: alice.handle, displayName: 'Alice', avatarUrl: null },
          channel: { id: channel.id, name: channel.name },
        },
      },
    });
    expect(subs.map((s) => s.results)).toEqual([[event(true)], [event(false)]]);
    expect(requests).toBe(0);
    for (const s of subs) s.unsubscribe();
  });

  it('and a typing notice its typist, for every watcher\'s own pipeline', async () => {
    const [alice, bob, carol] = await Promise.all([person('Alice'), person('Bob'), person('Carol')]);
    const channel = await channelOf(alice, 'PUBLIC', bob, carol);
    const query = `subscription($id: ID!) { typing(channelId: $id) { user { id handle displayName avatarUrl } } }`;
    const base = stack.gateway.hub.stats.subscribers;
    const subs = [bob, carol].map((who) => stack.subscribe(stack.connect(who), query, { id: channel.id }));
    await live(base + 2);
    const requests = await channelRequestsDuring(async () => {
      await stack.expectData(alice, `mutation($id: ID!) { sendTyping(channelId: $id) }`, { id: channel.id });
      await Promise.all(subs.map((s) => s.next(1)));
    });
    for (const s of subs) expect(s.results).toEqual([{ data: { typing: { user: { id: alice.id, handle: alice.handle, displayName: 'Alice', avatarUrl: null } } } }]);
    expect(requests).toBe(0);
    for (const s of subs) s.unsubscribe();
  });
});

it('gives a client token naming the gateway\'s own identity no more than any user', async () => {
  const [owner, member] = await Promise.all([person('Owner'), person('Member')]);
  const channel = await channelOf(owner, 'PRIVATE', member);
  const impostor = { token: await signClientToken(TEST_JWT_SECRET, { id: '00000000-0000-0000-0000-000000000000', name: 'gateway' }) };
  const sub = stack.subscribe(stack.connect(impostor), MESSAGES, { id: channel.id });
  await sub.end();
  expect(sub.results.at(-1)?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  expect(await stack.expectData(impostor, `query($id: ID!) { channel(id: $id) { name } }`, { id: channel.id })).toEqual({ channel: null });
});
