// Issue 3, through the gateway on real Postgres and Redis: edits, deletes, replies, reactions,
// pins, read state, search, typing, messageUpdated, the latest-page cache and the send rate limit.
import type { MessageSubgraph } from '../../subgraphs/message/src/server';
import { person, startStack, type Stack } from '../testkit/stack';

type Person = Awaited<ReturnType<typeof person>>;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack('messaging');
});
afterAll(async () => {
  await stack.closeSockets();
  await stack.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- operations

const FIELDS = `id body createdAt editedAt deletedAt pinned pinnedAt cursor
  author { id displayName } channel { id name }
  replyTo { id body deletedAt }
  reactions { emoji count viewerHasReacted }
  edits { body editedAt }`;
const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { ${FIELDS} } }`;
const EDIT = `mutation($id: ID!, $body: String!) { editMessage(id: $id, body: $body) { ${FIELDS} } }`;
const DELETE = `mutation($id: ID!) { deleteMessage(id: $id) { ${FIELDS} } }`;
const ADD_REACTION = `mutation($id: ID!, $emoji: String!) { addReaction(messageId: $id, emoji: $emoji) { ${FIELDS} } }`;
const REMOVE_REACTION = `mutation($id: ID!, $emoji: String!) { removeReaction(messageId: $id, emoji: $emoji) { ${FIELDS} } }`;
const PIN = `mutation($id: ID!, $pinned: Boolean!) { pinMessage(id: $id, pinned: $pinned) { ${FIELDS} } }`;
const MARK_READ = `mutation($c: ID!, $m: ID!) { markRead(channelId: $c, messageId: $m) { id unreadCount lastReadMessageId } }`;
const TYPING = `mutation($c: ID!) { sendTyping(channelId: $c) }`;
const MESSAGE = `query($id: ID!) { message(id: $id) { ${FIELDS} } }`;
// Pages select less than FIELDS: the gateway's cost limit prices every message of a page.
const PAGE_FIELDS = 'id body editedAt deletedAt pinned pinnedAt reactions { emoji count viewerHasReacted } edits { body }';
const LATEST = `query($id: ID!, $last: Int) { channel(id: $id) { messages(last: $last) {
  edges { cursor node { ${PAGE_FIELDS} } } pageInfo { hasPreviousPage hasNextPage } } } }`;
const LATEST_IDS = `query($id: ID!, $last: Int) { channel(id: $id) { messages(last: $last) {
  edges { cursor node { id body } } pageInfo { hasPreviousPage hasNextPage } } } }`;
const READ_STATE = `query($id: ID!) { channel(id: $id) { unreadCount lastReadMessageId } }`;
const PINNED = `query($id: ID!) { channel(id: $id) { pinnedMessages { id body pinned author { displayName } } } }`;
const SEARCH = `query($q: String!, $c: ID, $first: Int, $after: String) { searchMessages(query: $q, channelId: $c, first: $first, after: $after) {
  edges { cursor node { id body channel { id } author { displayName } } } pageInfo { hasNextPage hasPreviousPage endCursor } } }`;

type Message = {
  id: string;
  body: string;
  editedAt: string | null;
  deletedAt: string | null;
  pinned: boolean;
  pinnedAt: string | null;
  cursor: string;
  replyTo: { id: string; body: string; deletedAt: string | null } | null;
  reactions: Array<{ emoji: string; count: number; viewerHasReacted: boolean }>;
  edits: Array<{ body: string; editedAt: string }>;
};

async function channelOf(owner: Person, overrides: Record<string, unknown> = {}) {
  const data = await stack.expectData(owner, `mutation($input: CreateChannelInput!) { createChannel(input: $input) { id name } }`, {
    input: { name: `msg-${Math.random().toString(36).slice(2, 8)}`, kind: 'TEXT', ...overrides },
  });
  return data.createChannel as { id: string; name: string };
}
const join = (who: Person, channelId: string) => stack.expectData(who, `mutation($id: ID!) { joinChannel(channelId: $id) { role } }`, { id: channelId });
const setRole = (owner: Person, channelId: string, user: Person, role: string) =>
  stack.expectData(owner, `mutation($c: ID!, $u: ID!, $r: MemberRole!) { setMemberRole(channelId: $c, userId: $u, role: $r) { role } }`, { c: channelId, u: user.id, r: role });
const send = async (who: Person, channelId: string, body: string, extra: Record<string, unknown> = {}): Promise<Message> =>
  (await stack.expectData(who, SEND, { input: { channelId, body, ...extra } })).sendMessage;
const edit = async (who: Person, id: string, body: string): Promise<Message> => (await stack.expectData(who, EDIT, { id, body })).editMessage;
const remove = async (who: Person, id: string): Promise<Message> => (await stack.expectData(who, DELETE, { id })).deleteMessage;
const react = async (who: Person, id: string, emoji: string): Promise<Message> => (await stack.expectData(who, ADD_REACTION, { id, emoji })).addReaction;
const unreact = async (who: Person, id: string, emoji: string): Promise<Message> => (await stack.expectData(who, REMOVE_REACTION, { id, emoji })).removeReaction;
const pin = async (who: Person, id: string, pinned = true): Promise<Message> => (await stack.expectData(who, PIN, { id, pinned })).pinMessage;
const latest = async (who: Person, channelId: string, last = 20): Promise<Message[]> =>
  (await stack.expectData(who, LATEST, { id: channelId, last })).channel.messages.edges.map((e: { node: Message }) => e.node);
const readState = async (who: Person, channelId: string) => (await stack.expectData(who, READ_STATE, { id: channelId })).channel;

/** Alice owns a public channel; Bob and Carol are members. */
async function room(overrides: Record<string, unknown> = {}) {
  const [alice, bob, carol] = [await person('Alice'), await person('Bob'), await person('Carol')];
  const channel = await channelOf(alice, overrides);
  for (const who of [bob, carol]) {
    if (overrides.visibility !== 'PRIVATE') await join(who, channel.id);
    else {
      // The invitee's user row is made when they first reach the graph.
      await stack.expectData(who, `{ me { id } }`);
      await stack.expectData(alice, `mutation($c: ID!, $u: ID!) { inviteMember(channelId: $c, userId: $u) { role } }`, { c: channel.id, u: who.id });
    }
  }
  return { alice, bob, carol, channel };
}

// ---------------------------------------------------------------- edits, deletes, replies

describe('editMessage', () => {
  it('keeps every earlier body, oldest first, and sets editedAt', async () => {
    const { alice, channel } = await room();
    const sent = await send(alice, channel.id, 'v1');
    expect(sent).toMatchObject({ editedAt: null, edits: [] });
    await edit(alice, sent.id, 'v2');
    const edited = await edit(alice, sent.id, 'v3');
    expect(edited.body).toBe('v3');
    expect(edited.edits.map((e) => e.body)).toEqual(['v1', 'v2']);
    const [first, second] = edited.edits.map((e) => Date.parse(e.editedAt));
    expect(first).toBeLessThan(second);
    expect(Date.parse(edited.editedAt!)).toBe(second);
    // The same body again is not an edit.
    expect((await edit(alice, sent.id, 'v3')).edits).toHaveLength(2);
  });

  it('records each of concurrent edits exactly once, each with the body it replaced', async () => {
    const { alice, channel } = await room();
    const sent = await send(alice, channel.id, 'start');
    const bodies = Array.from({ length: 6 }, (_, i) => `concurrent ${i}`);
    await Promise.all(bodies.map((body) => edit(alice, sent.id, body)));
    const final = (await stack.expectData(alice, MESSAGE, { id: sent.id })).message as Message;
    const history = [...final.edits.map((e) => e.body), final.body];
    expect(history[0]).toBe('start');
    expect([...history].sort()).toEqual(['start', ...bodies].sort());
    const times = final.edits.map((e) => Date.parse(e.editedAt));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('is for the author only', async () => {
    const { alice, bob, carol, channel } = await room();
    const sent = await send(carol, channel.id, 'mine');
    await setRole(alice, channel.id, bob, 'ADMIN');
    for (const who of [alice, bob]) await stack.expectError(who, EDIT, { id: sent.id, body: 'not yours' }, 'FORBIDDEN');
    const stranger = await person('Stranger');
    await stack.expectError(stranger, EDIT, { id: sent.id, body: 'nope' }, 'FORBIDDEN');
    await stack.expectError(null, EDIT, { id: sent.id, body: 'nope' }, 'UNAUTHENTICATED');
    expect((await stack.expectData(carol, MESSAGE, { id: sent.id })).message.body).toBe('mine');
  });

  it('hides messages of a private channel from outsiders (NOT_FOUND)', async () => {
    const { alice, channel } = await room({ visibility: 'PRIVATE' });
    const sent = await send(alice, channel.id, 'secret');
    const outsider = await person('Outsider');
    for (const [query, variables] of [
      [EDIT, { id: sent.id, body: 'x' }],
      [DELETE, { id: sent.id }],
      [ADD_REACTION, { id: sent.id, emoji: '👍' }],
      [PIN, { id: sent.id, pinned: true }],
    ] as const) {
      await stack.expectError(outsider, query, variables, 'NOT_FOUND');
    }
  });

  it.each([
    ['empty', ''],
    ['whitespace only', '   '],
    ['4001 characters', 'x'.repeat(4001)],
  ])('rejects a body that is %s', async (_what, body) => {
    const { alice, channel } = await room();
    const sent = await send(alice, channel.id, 'fine');
    await stack.expectError(alice, EDIT, { id: sent.id, body }, 'BAD_USER_INPUT');
  });

  it('refuses to edit a deleted message, and edits nothing in an archived channel', async () => {
    const { alice, channel } = await room();
    const gone = await send(alice, channel.id, 'soon gone');
    const kept = await send(alice, channel.id, 'kept');
    await remove(alice, gone.id);
    await stack.expectError(alice, EDIT, { id: gone.id, body: 'back?' }, 'CONFLICT');
    await stack.expectData(alice, `mutation($id: ID!) { archiveChannel(id: $id) { id } }`, { id: channel.id });
    await stack.expectError(alice, EDIT, { id: kept.id, body: 'late' }, 'CONFLICT');
    await stack.expectError(alice, ADD_REACTION, { id: kept.id, emoji: '👍' }, 'CONFLICT');
    // Removing content and reading stay possible.
    expect((await remove(alice, kept.id)).deletedAt).not.toBeNull();
  });
});

describe('deleteMessage', () => {
  it('clears the body, edits, reactions and pin, and keeps the message in its place', async () => {
    const { alice, bob, channel } = await room();
    const before = await send(alice, channel.id, 'before');
    const doomed = await send(alice, channel.id, 'doomed');
    const after = await send(alice, channel.id, 'after');
    await edit(alice, doomed.id, 'doomed, edited');
    await react(bob, doomed.id, '👍');
    await pin(alice, doomed.id);

    const deleted = await remove(alice, doomed.id);
    expect(deleted).toMatchObject({ id: doomed.id, body: '', edits: [], reactions: [], pinned: false, pinnedAt: null });
    expect(deleted.deletedAt).not.toBeNull();
    const page = await latest(bob, channel.id);
    expect(page.map((m) => [m.id, m.body])).toEqual([
      [before.id, 'before'],
      [doomed.id, ''],
      [after.id, 'after'],
    ]);
    expect(page[1].deletedAt).toBe(deleted.deletedAt);
    // Twice is fine: the same deleted message.
    expect((await remove(alice, doomed.id)).deletedAt).toBe(deleted.deletedAt);
    await stack.expectError(bob, ADD_REACTION, { id: doomed.id, emoji: '👍' }, 'CONFLICT');
    await stack.expectError(alice, PIN, { id: doomed.id, pinned: true }, 'CONFLICT');
  });

  it('is for the author, or an OWNER or ADMIN of the channel', async () => {
    const { alice, bob, carol, channel } = await room();
    const dave = await person('Dave');
    await join(dave, channel.id);
    await setRole(alice, channel.id, bob, 'ADMIN');
    const [byAlice, byCarol, byDave, own] = [
      await send(alice, channel.id, 'owner says'),
      await send(carol, channel.id, 'carol says'),
      await send(dave, channel.id, 'dave says'),
      await send(carol, channel.id, 'carol again'),
    ];
    await stack.expectError(carol, DELETE, { id: byAlice.id }, 'FORBIDDEN');
    await stack.expectError(carol, DELETE, { id: byDave.id }, 'FORBIDDEN');
    expect((await remove(bob, byAlice.id)).deletedAt).not.toBeNull(); // ADMIN
    expect((await remove(alice, byCarol.id)).deletedAt).not.toBeNull(); // OWNER
    expect((await remove(carol, own.id)).deletedAt).not.toBeNull(); // author
    const stranger = await person('Stranger');
    await stack.expectError(stranger, DELETE, { id: byDave.id }, 'FORBIDDEN');
  });
});

describe('replies', () => {
  it('reply within the channel, and show a deleted parent as deleted', async () => {
    const { alice, bob, channel } = await room();
    const question = await send(alice, channel.id, 'question?');
    const answer = await send(bob, channel.id, 'answer!', { replyToId: question.id });
    expect(answer.replyTo).toEqual({ id: question.id, body: 'question?', deletedAt: null });
    await remove(alice, question.id);
    const reread = (await stack.expectData(bob, MESSAGE, { id: answer.id })).message as Message;
    expect(reread.replyTo).toMatchObject({ id: question.id, body: '' });
    expect(reread.replyTo!.deletedAt).not.toBeNull();
  });

  it('refuse a parent in another channel, or no parent at all', async () => {
    const { alice, channel } = await room();
    const other = await channelOf(alice);
    const elsewhere = await send(alice, other.id, 'elsewhere');
    await stack.expectError(alice, SEND, { input: { channelId: channel.id, body: 'hi', replyToId: elsewhere.id } }, 'BAD_USER_INPUT');
    await stack.expectError(alice, SEND, { input: { channelId: channel.id, body: 'hi', replyToId: '00000000-0000-4000-8000-000000000000' } }, 'BAD_USER_INPUT');
    expect(await latest(alice, channel.id)).toEqual([]);
  });
});

// ---------------------------------------------------------------- reactions

describe('reactions', () => {
  it('are idempotent per person and emoji, counted per emoji in first-use order, with viewerHasReacted', async () => {
    const { alice, bob, carol, channel } = await room();
    const sent = await send(alice, channel.id, 'react!');
    await react(bob, sent.id, '🎉');
    await react(bob, sent.id, '🎉');
    await react(carol, sent.id, '👍🏽');
    await react(alice, sent.id, '🎉');
    const asBob = await react(bob, sent.id, ':party_parrot:');
    expect(asBob.reactions).toEqual([
      { emoji: '🎉', count: 2, viewerHasReacted: true },
      { emoji: '👍🏽', count: 1, viewerHasReacted: false },
      { emoji: ':party_parrot:', count: 1, viewerHasReacted: true },
    ]);
    const asCarol = await unreact(carol, sent.id, '👍🏽');
    expect(asCarol.reactions).toEqual([
      { emoji: '🎉', count: 2, viewerHasReacted: false },
      { emoji: ':party_parrot:', count: 1, viewerHasReacted: false },
    ]);
    // Removing what is not there changes nothing.
    expect((await unreact(carol, sent.id, '🎉')).reactions[0].count).toBe(2);
  });

  it.each([
    ['empty', ''],
    ['two emoji', '👍👍'],
    ['a word', 'nice'],
    ['a short name without colons', 'smile'],
    ['a short name over 64 characters', `:${'a'.repeat(63)}:`],
  ])('rejects an emoji that is %s', async (_what, emoji) => {
    const { alice, channel } = await room();
    const sent = await send(alice, channel.id, 'react');
    await stack.expectError(alice, ADD_REACTION, { id: sent.id, emoji }, 'BAD_USER_INPUT');
    await stack.expectError(alice, REMOVE_REACTION, { id: sent.id, emoji }, 'BAD_USER_INPUT');
  });

  it('allow 20 different emoji on a message, and CONFLICT on the 21st', async () => {
    const { alice, bob, channel } = await room();
    const sent = await send(alice, channel.id, 'so many');
    for (let i = 0; i < 20; i++) await react(alice, sent.id, `:e${i}:`);
    await stack.expectError(alice, ADD_REACTION, { id: sent.id, emoji: ':e20:' }, 'CONFLICT');
    // More of an emoji it already has is fine.
    const more = await react(bob, sent.id, ':e0:');
    expect(more.reactions).toHaveLength(20);
    expect(more.reactions[0]).toEqual({ emoji: ':e0:', count: 2, viewerHasReacted: true });
  });

  it('need membership', async () => {
    const { alice, channel } = await room();
    const sent = await send(alice, channel.id, 'members only');
    await stack.expectError(await person('Passer-by'), ADD_REACTION, { id: sent.id, emoji: '👍' }, 'FORBIDDEN');
  });
});

// ---------------------------------------------------------------- pins

describe('pins', () => {
  it('are for OWNER and ADMIN, listed newest pin first', async () => {
    const { alice, bob, carol, channel } = await room();
    await setRole(alice, channel.id, bob, 'ADMIN');
    const [m1, m2, m3] = [await send(carol, channel.id, 'one'), await send(carol, channel.id, 'two'), await send(carol, channel.id, 'three')];
    await stack.expectError(carol, PIN, { id: m1.id, pinned: true }, 'FORBIDDEN');
    expect((await pin(alice, m1.id)).pinned).toBe(true);
    await pin(bob, m3.id);
    await pin(alice, m2.id);
    const ids = async () => (await stack.expectData(carol, PINNED, { id: channel.id })).channel.pinnedMessages.map((m: { id: string }) => m.id);
    expect(await ids()).toEqual([m2.id, m3.id, m1.id]);
    const unpinned = await pin(bob, m3.id, false);
    expect(unpinned).toMatchObject({ pinned: false, pinnedAt: null });
    expect(await ids()).toEqual([m2.id, m1.id]);
    await remove(carol, m2.id);
    expect(await ids()).toEqual([m1.id]);
    const list = (await stack.expectData(carol, PINNED, { id: channel.id })).channel.pinnedMessages;
    expect(list).toEqual([{ id: m1.id, body: 'one', pinned: true, author: { displayName: 'Carol' } }]);
  });
});

// ---------------------------------------------------------------- read state

describe('read state', () => {
  it('counts what others wrote after the marker, which never moves backwards', async () => {
    const { alice, bob, carol, channel } = await room();
    const sent: Message[] = [];
    for (let i = 1; i <= 5; i++) sent.push(await send(alice, channel.id, `m${i}`));
    expect(await readState(bob, channel.id)).toEqual({ unreadCount: 5, lastReadMessageId: null });
    // Your own messages are not unread.
    expect(await readState(alice, channel.id)).toEqual({ unreadCount: 0, lastReadMessageId: null });

    const marked = (await stack.expectData(bob, MARK_READ, { c: channel.id, m: sent[2].id })).markRead;
    expect(marked).toEqual({ id: channel.id, unreadCount: 2, lastReadMessageId: sent[2].id });
    const back = (await stack.expectData(bob, MARK_READ, { c: channel.id, m: sent[0].id })).markRead;
    expect(back).toEqual({ id: channel.id, unreadCount: 2, lastReadMessageId: sent[2].id });
    // Deleted messages are not unread either.
    await remove(alice, sent[4].id);
    expect(await readState(bob, channel.id)).toEqual({ unreadCount: 1, lastReadMessageId: sent[2].id });

    // Concurrent marks (two tabs): the furthest wins.
    await Promise.all([sent[1], sent[3], sent[0]].map((m) => stack.expectData(carol, MARK_READ, { c: channel.id, m: m.id })));
    expect(await readState(carol, channel.id)).toEqual({ unreadCount: 0, lastReadMessageId: sent[3].id });
  });

  it('is there for every channel of a list, batched', async () => {
    const bob = await person('Bob');
    const owners = [await person('A'), await person('B'), await person('C')];
    const channels = [];
    for (const [i, owner] of owners.entries()) {
      const channel = await channelOf(owner);
      await join(bob, channel.id);
      for (let j = 0; j <= i; j++) await send(owner, channel.id, `x${j}`);
      channels.push(channel);
    }
    const data = await stack.expectData(bob, `{ channels(first: 100, joined: true) { edges { node { id unreadCount lastReadMessageId } } } }`);
    const counts = Object.fromEntries(data.channels.edges.map((e: any) => [e.node.id, e.node.unreadCount]));
    expect(channels.map((c) => counts[c.id])).toEqual([1, 2, 3]);
  });

  it('is for members, with a message of that channel', async () => {
    const { alice, channel } = await room();
    const other = await channelOf(alice);
    const here = await send(alice, channel.id, 'here');
    const there = await send(alice, other.id, 'there');
    await stack.expectError(alice, MARK_READ, { c: channel.id, m: there.id }, 'BAD_USER_INPUT');
    await stack.expectError(alice, MARK_READ, { c: channel.id, m: '00000000-0000-4000-8000-000000000000' }, 'BAD_USER_INPUT');
    const visitor = await person('Visitor');
    await stack.expectError(visitor, MARK_READ, { c: channel.id, m: here.id }, 'FORBIDDEN');
    expect(await readState(visitor, channel.id)).toEqual({ unreadCount: 0, lastReadMessageId: null });
  });
});

// ---------------------------------------------------------------- search

describe('searchMessages', () => {
  it('finds, ranks and pages over the channels the caller may read, never deleted messages', async () => {
    const [alice, bob] = [await person('Alice'), await person('Bob')];
    const open = await channelOf(alice);
    const alicePrivate = await channelOf(alice, { visibility: 'PRIVATE' });
    const bobPrivate = await channelOf(bob, { visibility: 'PRIVATE' });
    // A word no other test uses; letters only, so Postgres parses it as one plain word.
    const tag = `zq${Array.from({ length: 8 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join('')}`;
    const strong = await send(alice, open.id, `${tag} ${tag} ${tag} deploy checklist`);
    const weak = await send(alice, open.id, `the ${tag} is deploying tonight, after a long day of meetings and lunch`);
    const gone = await send(alice, open.id, `${tag} soon deleted`);
    const secret = await send(alice, alicePrivate.id, `${tag} secret plan`);
    const bobs = await send(bob, bobPrivate.id, `${tag} bob's notes`);
    await send(alice, open.id, 'nothing to see here');
    await remove(alice, gone.id);

    const search = async (who: Person, variables: Record<string, unknown>) => (await stack.expectData(who, SEARCH, { q: tag, ...variables })).searchMessages;
    const asBob = await search(bob, {});
    expect(asBob.edges.map((e: any) => e.node.id).sort()).toEqual([strong.id, weak.id, bobs.id].sort());
    expect(asBob.edges[0].node).toMatchObject({ id: strong.id, author: { displayName: 'Alice' }, channel: { id: open.id } });
    const asAlice = await search(alice, {});
    expect(asAlice.edges.map((e: any) => e.node.id).sort()).toEqual([strong.id, weak.id, secret.id].sort());
    // Stemming: "deploy" finds "deploying".
    expect((await stack.expectData(bob, SEARCH, { q: `${tag} deploy`, c: open.id })).searchMessages.edges.map((e: any) => e.node.id).sort()).toEqual(
      [strong.id, weak.id].sort(),
    );
    expect((await search(alice, { c: alicePrivate.id })).edges.map((e: any) => e.node.id)).toEqual([secret.id]);
    await stack.expectError(bob, SEARCH, { q: tag, c: alicePrivate.id }, 'NOT_FOUND');

    // Pages of one, walked to the end: every hit once, in the first page's order.
    const walked: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = await search(alice, { first: 1, after });
      walked.push(...page.edges.map((e: any) => e.node.id));
      expect(page.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(walked).toEqual(asAlice.edges.map((e: any) => e.node.id));
  });

  it('rejects bad input', async () => {
    const alice = await person('Alice');
    await stack.expectError(alice, SEARCH, { q: 'x', first: 101 }, 'BAD_USER_INPUT');
    await stack.expectError(alice, SEARCH, { q: '   ' }, 'BAD_USER_INPUT');
    await stack.expectError(alice, SEARCH, { q: 'x'.repeat(201) }, 'BAD_USER_INPUT');
    await stack.expectError(alice, SEARCH, { q: 'x', after: 'garbage' }, 'BAD_USER_INPUT');
    await stack.expectError(null, SEARCH, { q: 'x' }, 'UNAUTHENTICATED');
  });
});

// ---------------------------------------------------------------- live: messageUpdated and typing

/** Pokes until the subscription has seen an event (so it is live), one poke at a time. */
async function whenLive(sub: { results: unknown[] }, poke: () => Promise<unknown>) {
  for (let i = 0; i < 50 && sub.results.length === 0; i++) {
    await poke();
    await sleep(100);
  }
  if (sub.results.length === 0) throw new Error('the subscription never went live');
}

describe('messageUpdated', () => {
  const UPDATED = `subscription($id: ID!) { messageUpdated(channelId: $id) {
    id body editedAt deletedAt pinned reactions { emoji count viewerHasReacted } author { displayName } channel { name } } }`;

  it('publishes every edit, reaction change, pin and delete, with fields from both subgraphs', async () => {
    const { alice, bob, channel } = await room();
    const probe = await send(alice, channel.id, 'probe');
    const sent = await send(alice, channel.id, 'original');
    const sub = stack.subscribe(stack.connect(bob), UPDATED, { id: channel.id });
    let flip = false;
    await whenLive(sub, () => ((flip = !flip) ? react(alice, probe.id, '🔔') : unreact(alice, probe.id, '🔔')));

    await edit(alice, sent.id, 'edited');
    await react(bob, sent.id, '👍');
    await unreact(bob, sent.id, '👍');
    await pin(alice, sent.id);
    await remove(alice, sent.id);
    const ofSent = async (n: number) => {
      const deadline = Date.now() + 10_000;
      let events: any[] = [];
      while (Date.now() < deadline) {
        events = sub.results.map((r) => r.data?.messageUpdated).filter((m: any) => m?.id === sent.id);
        if (events.length >= n) break;
        await sleep(50);
      }
      return events;
    };
    const events = await ofSent(5);
    expect(sub.results.every((r) => !r.errors)).toBe(true);
    expect(events).toHaveLength(5);
    expect(events[0]).toMatchObject({ body: 'edited', pinned: false, author: { displayName: 'Alice' }, channel: { name: channel.name } });
    expect(events[0].editedAt).not.toBeNull();
    expect(events[1].reactions).toEqual([{ emoji: '👍', count: 1, viewerHasReacted: true }]);
    expect(events[2].reactions).toEqual([]);
    expect(events[3].pinned).toBe(true);
    expect(events[4]).toMatchObject({ body: '', pinned: false, reactions: [] });
    expect(events[4].deletedAt).not.toBeNull();
    sub.unsubscribe();
  });

  it('answers NOT_FOUND to a non-member of a private channel, and sends nothing', async () => {
    const { alice, channel } = await room({ visibility: 'PRIVATE' });
    const sent = await send(alice, channel.id, 'private');
    const sub = stack.subscribe(stack.connect(await person('Snoop')), UPDATED, { id: channel.id });
    await sub.end();
    expect(sub.results[0]?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    await edit(alice, sent.id, 'still private');
    await sleep(200);
    expect(sub.results.filter((r) => r.data)).toHaveLength(0);
  });
});

describe('typing', () => {
  const TYPING_SUB = `subscription($id: ID!) { typing(channelId: $id) { channelId at user { id displayName } } }`;
  const typersIn = (sub: { results: any[] }) => sub.results.map((r) => r.data?.typing?.user?.id as string);

  /** Someone else types (a fresh member each time, so no throttle) until `subs` have all seen them. */
  async function barrier(channelId: string, subs: Array<{ results: any[] }>) {
    for (let i = 0; i < 50; i++) {
      const probe = await person('Probe');
      await join(probe, channelId);
      await stack.expectData(probe, TYPING, { c: channelId });
      const deadline = Date.now() + 300;
      while (Date.now() < deadline && !subs.every((s) => typersIn(s).includes(probe.id))) await sleep(20);
      if (subs.every((s) => typersIn(s).includes(probe.id))) return;
    }
    throw new Error('the typing subscriptions never went live');
  }

  it('reaches the others, not the typist, at most once per 3 s', async () => {
    const { alice, bob, channel } = await room();
    const toBob = stack.subscribe(stack.connect(bob), TYPING_SUB, { id: channel.id });
    const toAlice = stack.subscribe(stack.connect(alice), TYPING_SUB, { id: channel.id });
    await barrier(channel.id, [toBob, toAlice]);

    expect((await stack.expectData(alice, TYPING, { c: channel.id })).sendTyping).toBe(true);
    // Accepted, but coalesced into the first.
    expect((await stack.expectData(alice, TYPING, { c: channel.id })).sendTyping).toBe(true);
    expect((await stack.expectData(alice, TYPING, { c: channel.id })).sendTyping).toBe(true);
    // Events from one subgraph reach a subscriber in order: after this barrier, all of Alice's are in.
    await barrier(channel.id, [toBob, toAlice]);
    expect(typersIn(toBob).filter((id) => id === alice.id)).toHaveLength(1);
    expect(typersIn(toAlice)).not.toContain(alice.id);
    const event = toBob.results.find((r) => r.data?.typing?.user?.id === alice.id)!.data!.typing;
    expect(event).toMatchObject({ channelId: channel.id, user: { displayName: 'Alice' } });
    expect(Date.parse(event.at)).toBeGreaterThan(Date.now() - 10_000);

    await sleep(3100);
    await stack.expectData(alice, TYPING, { c: channel.id });
    await barrier(channel.id, [toBob]);
    expect(typersIn(toBob).filter((id) => id === alice.id)).toHaveLength(2);
    toBob.unsubscribe();
    toAlice.unsubscribe();
  });

  it('is for members; the stream for whoever may read the channel', async () => {
    const { channel } = await room();
    const passerBy = await person('Passer-by');
    await stack.expectError(passerBy, TYPING, { c: channel.id }, 'FORBIDDEN');
    const hidden = await room({ visibility: 'PRIVATE' });
    const sub = stack.subscribe(stack.connect(passerBy), TYPING_SUB, { id: hidden.channel.id });
    await sub.end();
    expect(sub.results[0]?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

// ---------------------------------------------------------------- the latest-page cache

describe('the latest-page cache', () => {
  const stats = () => (stack.subgraphs.message as MessageSubgraph).cacheStats();
  /** Reads the latest page twice: the second read must be a cache hit, and both must agree. */
  async function readTwice(who: Person, channelId: string) {
    const first = await latest(who, channelId);
    const hitsBefore = stats().hits;
    const second = await latest(who, channelId);
    expect(stats().hits).toBe(hitsBefore + 1);
    expect(second).toEqual(first);
    return second;
  }

  it('serves the latest page from the cache and shows every kind of write at once', async () => {
    const { alice, bob, channel } = await room();
    const [m1, m2] = [await send(alice, channel.id, 'one'), await send(alice, channel.id, 'two')];
    expect((await readTwice(bob, channel.id)).map((m) => m.body)).toEqual(['one', 'two']);

    const m3 = await send(alice, channel.id, 'three');
    expect((await readTwice(bob, channel.id)).map((m) => m.id)).toEqual([m1.id, m2.id, m3.id]);

    await edit(alice, m1.id, 'one, edited');
    expect((await readTwice(bob, channel.id))[0]).toMatchObject({ body: 'one, edited', edits: [{ body: 'one' }] });

    await react(alice, m2.id, '👍');
    expect((await readTwice(bob, channel.id))[1].reactions).toEqual([{ emoji: '👍', count: 1, viewerHasReacted: false }]);
    await react(bob, m2.id, '👍');
    expect((await readTwice(bob, channel.id))[1].reactions).toEqual([{ emoji: '👍', count: 2, viewerHasReacted: true }]);
    // The cached counts are shared; whether the viewer reacted is each viewer's own.
    expect((await latest(alice, channel.id))[1].reactions).toEqual([{ emoji: '👍', count: 2, viewerHasReacted: true }]);
    await unreact(alice, m2.id, '👍');
    expect((await readTwice(bob, channel.id))[1].reactions).toEqual([{ emoji: '👍', count: 1, viewerHasReacted: true }]);

    await pin(alice, m3.id);
    expect((await readTwice(bob, channel.id))[2].pinned).toBe(true);
    await pin(alice, m3.id, false);
    expect((await readTwice(bob, channel.id))[2].pinned).toBe(false);

    await remove(alice, m2.id);
    const afterDelete = await readTwice(bob, channel.id);
    expect(afterDelete[1]).toMatchObject({ id: m2.id, body: '', reactions: [] });
    expect(afterDelete[1].deletedAt).not.toBeNull();
  });

  it('caches the pins with the page: one cache read answers both, and every pin change shows at once', async () => {
    const { alice, bob, channel } = await room();
    const [m1, m2, m3] = [await send(alice, channel.id, 'one'), await send(alice, channel.id, 'two'), await send(alice, channel.id, 'three')];
    const BOTH = `query($id: ID!) { channel(id: $id) { messages(last: 10) { edges { node { id pinned } } } pinnedMessages { id body pinned } } }`;
    const pins = async () => {
      const { channel: first } = await stack.expectData(bob, BOTH, { id: channel.id });
      const hits = stats().hits;
      const misses = stats().misses;
      const { channel: second } = await stack.expectData(bob, BOTH, { id: channel.id });
      // The messages and the pins of one operation share one cache read, a hit.
      expect([stats().hits, stats().misses]).toEqual([hits + 1, misses]);
      expect(second).toEqual(first);
      const pinnedOnPage = second.messages.edges.filter((e: any) => e.node.pinned).map((e: any) => e.node.id);
      expect(pinnedOnPage.sort()).toEqual(second.pinnedMessages.map((m: any) => m.id).sort());
      return second.pinnedMessages.map((m: any) => [m.id, m.body]);
    };
    expect(await pins()).toEqual([]);
    await pin(alice, m1.id);
    await pin(alice, m3.id);
    expect(await pins()).toEqual([[m3.id, 'three'], [m1.id, 'one']]);
    await edit(alice, m1.id, 'one, edited');
    expect(await pins()).toEqual([[m3.id, 'three'], [m1.id, 'one, edited']]);
    await pin(alice, m3.id, false);
    await pin(alice, m2.id);
    expect(await pins()).toEqual([[m2.id, 'two'], [m1.id, 'one, edited']]);
    await remove(alice, m2.id);
    expect(await pins()).toEqual([[m1.id, 'one, edited']]);

    // A page cached before pins were cached (a replica of the previous version shares the
    // cache) has none: the pins are then read from the database.
    const pageKey = `msgcache:{${channel.id}}:page`;
    const stored = JSON.parse((await stack.deps.redis!.get(pageKey))!);
    delete stored.page.pinned;
    await stack.deps.redis!.set(pageKey, JSON.stringify(stored), 'PX', 60_000);
    expect((await stack.expectData(bob, PINNED, { id: channel.id })).channel.pinnedMessages).toEqual([
      { id: m1.id, body: 'one, edited', pinned: true, author: { displayName: 'Alice' } },
    ]);
  });

  it('serves any `last` up to 100 from one cached page, with the right pageInfo', async () => {
    const alice = await person('Alice');
    const channel = await channelOf(alice);
    for (let i = 1; i <= 5; i++) await send(alice, channel.id, `m${i}`);
    await stack.expectData(alice, LATEST_IDS, { id: channel.id, last: 100 });
    const hits = stats().hits;
    const two = (await stack.expectData(alice, LATEST_IDS, { id: channel.id, last: 2 })).channel.messages;
    expect(two.edges.map((e: any) => e.node.body)).toEqual(['m4', 'm5']);
    expect(two.pageInfo).toEqual({ hasPreviousPage: true, hasNextPage: false });
    const all = (await stack.expectData(alice, LATEST_IDS, { id: channel.id, last: 5 })).channel.messages;
    expect(all.pageInfo).toEqual({ hasPreviousPage: false, hasNextPage: false });
    expect(stats().hits).toBe(hits + 2);
    // Paging back from the cached page goes on through the database.
    const older = await stack.expectData(alice, `query($id: ID!, $before: String) { channel(id: $id) { messages(last: 2, before: $before) { edges { node { body } } } } }`, {
      id: channel.id,
      before: two.edges[0].cursor,
    });
    expect(older.channel.messages.edges.map((e: any) => e.node.body)).toEqual(['m2', 'm3']);
  });

  it('never serves a body older than the last acknowledged edit, while readers race the writes', async () => {
    const { alice, bob, channel } = await room();
    const sent = await send(alice, channel.id, 'v0');
    let stop = false;
    // Readers hammer the page (and so keep refilling the cache) the whole time.
    const readers = Array.from({ length: 4 }, async () => {
      while (!stop) await latest(bob, channel.id);
    });
    try {
      for (let i = 1; i <= 10; i++) {
        await edit(alice, sent.id, `v${i}`);
        // Once the edit has answered, every read shows it.
        const seen = await Promise.all(Array.from({ length: 3 }, () => latest(bob, channel.id)));
        for (const page of seen) expect(page[0].body).toBe(`v${i}`);
      }
    } finally {
      stop = true;
      await Promise.all(readers);
    }
  });

  it('is shared by the replicas: a write through one is seen through the other at once', async () => {
    const { alice, bob, channel } = await room();
    const sent = await send(alice, channel.id, 'first');
    const other = await stack.startReplica('message');
    await latest(bob, channel.id);
    // Filled through the main replica, hit through the other.
    expect((await other.client.expectData(bob, LATEST, { id: channel.id, last: 20 })).channel.messages.edges[0].node.body).toBe('first');
    expect((other.replica as MessageSubgraph).cacheStats().hits).toBeGreaterThan(0);
    await other.client.expectData(alice, EDIT, { id: sent.id, body: 'edited elsewhere' });
    expect((await latest(bob, channel.id))[0].body).toBe('edited elsewhere');
  });
});

// ---------------------------------------------------------------- the send rate limit

describe('the sendMessage rate limit (default: a burst of 20, then 5 per second)', () => {
  it('answers every send of a burst with a stored message or RATE_LIMITED, and never loses one', async () => {
    const alice = await person('Burst');
    const channel = await channelOf(alice);
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) => stack.request(alice, `mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }`, { input: { channelId: channel.id, body: `b${i}` } })),
    );
    const acknowledged = replies.filter((r) => r.data?.sendMessage).map((r) => r.data.sendMessage.id);
    const limited = replies.filter((r) => r.errors?.[0]?.extensions?.code === 'RATE_LIMITED');
    expect(acknowledged.length + limited.length).toBe(30);
    expect(acknowledged).toHaveLength(20);
    for (const r of limited) expect(r.errors![0].extensions!.retryAfterMs).toBeGreaterThan(0);
    const stored = await stack.deps.prisma.message.findMany({ where: { channelId: channel.id }, select: { id: true } });
    expect(stored.map((m) => m.id).sort()).toEqual(acknowledged.sort());
    // Someone else is not held back.
    const bob = await person('Bob');
    await join(bob, channel.id);
    await send(bob, channel.id, 'not limited');
  });
});
