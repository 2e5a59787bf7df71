import { person, startStack, type Stack } from '../testkit/stack';

let stack: Stack;
beforeAll(async () => {
  // The walk below sends 25 at once from one user, over the default send burst of 20.
  stack = await startStack('federation', { env: { SEND_RATE_BURST: '1000' } });
});
afterAll(async () => {
  await stack.closeSockets();
  await stack.close();
});

const CREATE_CHANNEL = `mutation($input: CreateChannelInput!) { createChannel(input: $input) { id name visibility memberCount } }`;
const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { id body cursor clientId author { id displayName } channel { id name } } }`;

async function channelOf(owner: { token: string }, overrides: Record<string, unknown> = {}) {
  const data = await stack.expectData(owner, CREATE_CHANNEL, {
    input: { name: `general-${Math.random().toString(36).slice(2, 7)}`, kind: 'TEXT', ...overrides },
  });
  return data.createChannel as { id: string; name: string };
}

async function send(who: { token: string }, channelId: string, body: string, clientId?: string) {
  const data = await stack.expectData(who, SEND, { input: { channelId, body, clientId } });
  return data.sendMessage as { id: string; body: string; cursor: string };
}

describe('queries across subgraphs', () => {
  it('resolves a channel page with messages, authors and channels from both subgraphs', async () => {
    const alice = await person('Alice');
    const bob = await person('Bob');
    const channel = await channelOf(alice);
    await stack.expectData(bob, `mutation($id: ID!) { joinChannel(channelId: $id) { role } }`, { id: channel.id });
    await send(alice, channel.id, 'hello');
    await send(bob, channel.id, 'hi alice');

    const data = await stack.expectData(
      alice,
      `query($id: ID!) {
        me { id displayName }
        channel(id: $id) {
          name memberCount
          members(first: 10) { edges { node { role user { displayName } } } }
          messages(last: 10) { edges { node { body author { displayName handle } channel { name } } } }
        }
      }`,
      { id: channel.id },
    );
    expect(data.me).toEqual({ id: alice.id, displayName: 'Alice' });
    expect(data.channel.memberCount).toBe(2);
    expect(data.channel.members.edges.map((e: any) => [e.node.user.displayName, e.node.role])).toEqual([
      ['Alice', 'OWNER'],
      ['Bob', 'MEMBER'],
    ]);
    expect(data.channel.messages.edges.map((e: any) => [e.node.body, e.node.author.displayName, e.node.channel.name])).toEqual([
      ['hello', 'Alice', channel.name],
      ['hi alice', 'Bob', channel.name],
    ]);
  });

  it('walks 125 messages forwards and backwards with no gap or duplicate', async () => {
    const alice = await person('Walker');
    const channel = await channelOf(alice);
    for (let i = 0; i < 125; i += 25) {
      await Promise.all(Array.from({ length: 25 }, (_, j) => send(alice, channel.id, `m${i + j}`, `walk-${i + j}`)));
    }
    const page = `query($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
      channel(id: $id) { messages(first: $first, after: $after, last: $last, before: $before) {
        edges { cursor node { id body } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`;

    const forward: string[] = [];
    let after: string | null = null;
    for (;;) {
      const data: any = await stack.expectData(alice, page, { id: channel.id, first: 20, after });
      const conn = data.channel.messages;
      forward.push(...conn.edges.map((e: any) => e.node.id));
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    const backward: string[] = [];
    let before: string | null = null;
    for (;;) {
      const data: any = await stack.expectData(alice, page, { id: channel.id, last: 30, before });
      const conn = data.channel.messages;
      backward.unshift(...conn.edges.map((e: any) => e.node.id));
      if (!conn.pageInfo.hasPreviousPage) break;
      before = conn.pageInfo.startCursor;
    }
    expect(forward).toHaveLength(125);
    expect(new Set(forward).size).toBe(125);
    expect(backward).toEqual(forward);
  });
});

describe('messageAdded through the gateway', () => {
  const SUBSCRIPTION = `subscription($id: ID!, $after: String) {
    messageAdded(channelId: $id, after: $after) { id body cursor author { displayName handle } channel { name memberCount } }
  }`;

  it('delivers events carrying fields from both subgraphs, sharing one upstream per operation', async () => {
    const alice = await person('Alice');
    const channel = await channelOf(alice);
    const socket = stack.connect(alice);
    const first = stack.subscribe(socket, SUBSCRIPTION, { id: channel.id });
    const second = stack.subscribe(stack.connect(alice), SUBSCRIPTION, { id: channel.id });
    await new Promise((r) => setTimeout(r, 300));
    expect(stack.gateway.hub.stats).toEqual({ pipelines: 1, subscribers: 2, admitting: 0 });

    await send(alice, channel.id, 'live one');
    const [event] = await first.next(1);
    expect(event.errors).toBeUndefined();
    expect(event.data!.messageAdded).toMatchObject({
      body: 'live one',
      author: { displayName: 'Alice' },
      channel: { name: channel.name, memberCount: 1 },
    });
    expect((await second.next(1))[0]).toEqual(event);
    first.unsubscribe();
    second.unsubscribe();
  });

  it('replays what was missed after a disconnect, then goes live, with no gap or duplicate', async () => {
    const alice = await person('Replayer');
    const channel = await channelOf(alice);
    const early = [];
    for (let i = 0; i < 5; i++) early.push(await send(alice, channel.id, `before-${i}`));

    // A client saw up to the 2nd message, then lost its connection.
    const sub = stack.subscribe(stack.connect(alice), SUBSCRIPTION, { id: channel.id, after: early[1].cursor });
    const replayed = await sub.next(3);
    expect(replayed.map((r) => r.data!.messageAdded.body)).toEqual(['before-2', 'before-3', 'before-4']);

    const senders = Array.from({ length: 10 }, (_, i) => send(alice, channel.id, `after-${i}`));
    await Promise.all(senders);
    const all = await sub.next(13);
    const bodies = all.map((r) => r.data!.messageAdded.body);
    expect(bodies.slice(0, 3)).toEqual(['before-2', 'before-3', 'before-4']);
    expect(new Set(bodies).size).toBe(13);
    expect(bodies.slice(3).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `after-${i}`).sort());
    // Delivery order is the channel's order: cursors strictly increase.
    const history = await stack.expectData(alice, `query($id: ID!) { channel(id: $id) { messages(first: 100) { edges { node { body } } } } }`, { id: channel.id });
    expect(bodies).toEqual(history.channel.messages.edges.map((e: any) => e.node.body).slice(2));
    sub.unsubscribe();
  });

  it('carries a message sent through one replica to a subscriber on another, over Redis', async () => {
    const alice = await person('Alice');
    const channel = await channelOf(alice);
    const other = await stack.startReplica('message');
    const sub = stack.subscribe(stack.connect(alice), SUBSCRIPTION, { id: channel.id });
    await new Promise((r) => setTimeout(r, 300));
    await other.client.expectData(alice, SEND, { input: { channelId: channel.id, body: 'from the other replica' } });
    const [event] = await sub.next(1);
    expect(event.data!.messageAdded).toMatchObject({ body: 'from the other replica', author: { displayName: 'Alice' } });
    sub.unsubscribe();
  });

  it('tells subscribers when the subgraph restarts instead of leaving them on a dead stream', async () => {
    const alice = await person('Alice');
    const channel = await channelOf(alice);
    const sub = stack.subscribe(stack.connect(alice), SUBSCRIPTION, { id: channel.id });
    await new Promise((r) => setTimeout(r, 300));
    await stack.restartSubgraph('message');
    await sub.end();
    expect(sub.results.at(-1)?.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');

    // Subscribing again works and misses nothing sent in between.
    const missed = await send(alice, channel.id, 'sent while away');
    const again = stack.subscribe(stack.connect(alice), SUBSCRIPTION, { id: channel.id, after: null });
    await new Promise((r) => setTimeout(r, 300));
    await send(alice, channel.id, 'back again');
    expect((await again.next(1))[0].data!.messageAdded.body).toBe('back again');
    expect(missed.body).toBe('sent while away');
    again.unsubscribe();
  });
});

describe('private channels', () => {
  it('are invisible to a non-member through queries, mutations and subscriptions', async () => {
    const owner = await person('Owner');
    const stranger = await person('Stranger');
    const secret = await channelOf(owner, { visibility: 'PRIVATE' });
    await send(owner, secret.id, 'classified');

    const read = await stack.expectData(stranger, `query($id: ID!) { channel(id: $id) { id } }`, { id: secret.id });
    expect(read.channel).toBeNull();
    const listed = await stack.expectData(stranger, `{ channels(first: 100) { edges { node { id } } } }`);
    expect(listed.channels.edges.map((e: any) => e.node.id)).not.toContain(secret.id);
    await stack.expectError(stranger, `mutation($id: ID!) { joinChannel(channelId: $id) { role } }`, { id: secret.id }, 'NOT_FOUND');
    await stack.expectError(stranger, SEND, { input: { channelId: secret.id, body: 'let me in' } }, 'NOT_FOUND');

    const sub = stack.subscribe(stack.connect(stranger), `subscription($id: ID!) { messageAdded(channelId: $id) { body } }`, { id: secret.id });
    const end = await sub.end();
    await send(owner, secret.id, 'still classified');
    await new Promise((r) => setTimeout(r, 200));
    expect(end.error).toBeUndefined();
    expect(sub.results).toHaveLength(1);
    expect(sub.results[0].data ?? null).toBeNull();
    expect(sub.results[0].errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    // Invited, the stranger can read it (their user row was made when they first reached the graph).
    await stack.expectData(owner, `mutation($c: ID!, $u: ID!) { inviteMember(channelId: $c, userId: $u) { role } }`, { c: secret.id, u: stranger.id });
    const now = await stack.expectData(stranger, `query($id: ID!) { channel(id: $id) { name messages(last: 5) { edges { node { body } } } } }`, { id: secret.id });
    expect(now.channel.messages.edges.map((e: any) => e.node.body)).toEqual(['classified', 'still classified']);
  });
});

describe('idempotent sends', () => {
  it('returns the first message for a repeated clientId, even when sent concurrently', async () => {
    const alice = await person('Alice');
    const channel = await channelOf(alice);
    const results = await Promise.all(Array.from({ length: 8 }, () => send(alice, channel.id, 'once', 'same-key')));
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    const again = await send(alice, channel.id, 'a different body', 'same-key');
    expect(again.id).toBe(results[0].id);
    expect(again.body).toBe('once');
    const history = await stack.expectData(alice, `query($id: ID!) { channel(id: $id) { messages(first: 10) { edges { node { id } } } } }`, { id: channel.id });
    expect(history.channel.messages.edges).toHaveLength(1);
  });
});
