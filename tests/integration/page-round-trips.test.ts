import { createAccessGrants, createForwardedUserSigner, FORWARDED_USER_HEADER, poolOf } from '@commons/shared';
import { person, startStack, type Stack } from '../testkit/stack';
import { TEST_GATEWAY_SECRET } from '../testkit/subgraph';
import type { MessageSubgraph } from '../../subgraphs/message/src/server';

// A page load's cost follows its round trips (HTTP requests to subgraphs, SQL statements), so
// each saving is held here, counted off the real subgraphs and the shared pool:
// - the gateway sends the queries of one parallel step of a plan that go to one subgraph as one
//   batched HTTP request, and the subgraph answers it with one context: a page's message authors
//   and the authors of the messages they reply to cost the channel subgraph one request and one
//   users statement, not two of each; and the queries of concurrent client requests that reach
//   a subgraph in the same turn of the gateway's event loop share a batch too, each operation
//   with its own caller, and the profiles they look up cost one users statement per batch;
// - a member list reads its users in its own statement;
// - a warm page's messages and pins come from the latest-page cache, without a statement;
// - the message, voice and board subgraphs check access on the channel subgraph's grant (the
//   access row it read for this request) instead of reading the row again; a grant that is not
//   this caller's is ignored, and a removal still takes effect on the next request;
// - a send is one statement: its insert checks membership, the open channel, the parent and the
//   clientId itself, and leaves refusals to the checks that say why.
let stack: Stack;
const statements: string[] = [];
let channelRequests = 0;
beforeAll(async () => {
  stack = await startStack('page_round_trips');
  const pool = poolOf(stack.deps.prisma);
  const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  (pool as { query: unknown }).query = (...args: unknown[]) => {
    const first = args[0] as string | { text: string };
    statements.push(typeof first === 'string' ? first : first.text);
    return query(...args);
  };
  stack.subgraphs.channel.httpServer.on('request', () => void channelRequests++);
});
afterAll(() => stack?.close());

const usersStatements = () => statements.filter((s) => /\bFROM users WHERE id = ANY\b/.test(s)).length;

/** What one request cost: the channel subgraph's HTTP requests and the users statements. */
async function costOf<T>(run: () => Promise<T>): Promise<{ result: T; channelRequests: number; usersStatements: number }> {
  statements.length = 0;
  channelRequests = 0;
  const result = await run();
  return { result, channelRequests, usersStatements: usersStatements() };
}

it("answers a page's authors and reply authors with one batched request and one users statement", async () => {
  const [alice, bob, carol] = await Promise.all([person('Alice'), person('Bob'), person('Carol')]);
  const { createChannel: channel } = await stack.expectData(alice, `mutation { createChannel(input: { name: "batched", kind: TEXT }) { id } }`);
  for (const who of [bob, carol]) await stack.expectData(who, `mutation($id: ID!) { joinChannel(channelId: $id) { role } }`, { id: channel.id });
  const send = (who: typeof alice, body: string, replyToId?: string) =>
    stack.expectData(who, `mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }`, { input: { channelId: channel.id, body, replyToId } });
  const { sendMessage: first } = await send(alice, 'first');
  await send(bob, 'a reply', first.id);
  await send(carol, 'another');

  const page = await costOf(() =>
    stack.expectData(
      bob,
      `query($id: ID!) { channel(id: $id) { messages(last: 10) { edges { node { body author { displayName } replyTo { author { displayName } } } } } } }`,
      { id: channel.id },
    ),
  );
  expect(page.result.channel.messages.edges.map((e: any) => [e.node.body, e.node.author.displayName, e.node.replyTo?.author.displayName ?? null])).toEqual([
    ['first', 'Alice', null],
    ['a reply', 'Bob', 'Alice'],
    ['another', 'Carol', null],
  ]);
  // The root channel fetch, then one batch for both author fetches (three requests unbatched).
  expect(page.channelRequests).toBe(2);
  expect(page.usersStatements).toBe(1);

  // The members page reads its users in its statement.
  const members = await costOf(() =>
    stack.expectData(alice, `query($id: ID!) { channel(id: $id) { members(first: 10) { edges { node { role user { id displayName } } } } } }`, { id: channel.id }),
  );
  expect(members.result.channel.members.edges.map((e: any) => [e.node.role, e.node.user.displayName])).toEqual([
    ['OWNER', 'Alice'],
    ['MEMBER', 'Bob'],
    ['MEMBER', 'Carol'],
  ]);
  expect(members.usersStatements).toBe(0);
});

it('answers concurrent requests of different people with shared batches, each as its own caller', async () => {
  const people = await Promise.all(['Ann', 'Ben', 'Cat', 'Dan'].map((name) => person(name)));
  const [ann, ben] = people;
  const { createChannel: channel } = await stack.expectData(ann, `mutation { createChannel(input: { name: "together", kind: TEXT }) { id } }`);
  await stack.expectData(ben, `mutation($id: ID!) { joinChannel(channelId: $id) { role } }`, { id: channel.id });
  // One fetch to the channel subgraph each: alone, a request of its own each.
  const query = `query($id: ID!) { me { id } channel(id: $id) { viewerMembership { role } } }`;
  let fewest = Infinity;
  // Whether the four arrive in one turn of the gateway's loop is up to the sockets: a few tries.
  for (let attempt = 0; attempt < 5 && fewest >= people.length; attempt++) {
    const { result, channelRequests } = await costOf(() => Promise.all(people.map((who) => stack.expectData(who, query, { id: channel.id }))));
    expect(result.map((data: any) => [data.me.id, data.channel.viewerMembership?.role ?? null])).toEqual([
      [ann.id, 'OWNER'],
      [ben.id, 'MEMBER'],
      [people[2].id, null],
      [people[3].id, null],
    ]);
    fewest = Math.min(fewest, channelRequests);
  }
  expect(fewest).toBeLessThan(people.length);
});

it("reads the profiles that concurrent requests of different people look up in one statement per shared batch", async () => {
  const people = await Promise.all(['Eve', 'Fay', 'Gil', 'Hal'].map((name) => person(name)));
  for (const who of people) await stack.expectData(who, `{ me { id } }`);
  // Each looks up the next one's profile: what a profile says does not depend on who asks.
  const query = `query($id: ID!) { user(id: $id) { id handle } }`;
  const next = (i: number) => people[(i + 1) % people.length];
  let batched = false;
  for (let attempt = 0; attempt < 5 && !batched; attempt++) {
    const { result, channelRequests, usersStatements } = await costOf(() => Promise.all(people.map((who, i) => stack.expectData(who, query, { id: next(i).id }))));
    expect(result.map((data: any) => data.user)).toEqual(people.map((_, i) => ({ id: next(i).id, handle: next(i).handle })));
    // One users statement per request the channel subgraph answered, not one per person.
    expect(usersStatements).toBeLessThanOrEqual(channelRequests);
    batched = channelRequests < people.length;
  }
  expect(batched).toBe(true);
});

it("reads a warm page's messages and pins from the cache, without a statement", async () => {
  const [alice, bob] = await Promise.all([person('Alice'), person('Bob')]);
  const { createChannel: channel } = await stack.expectData(alice, `mutation { createChannel(input: { name: "pins", kind: TEXT }) { id } }`);
  await stack.expectData(bob, `mutation($id: ID!) { joinChannel(channelId: $id) { role } }`, { id: channel.id });
  const { sendMessage: sent } = await stack.expectData(alice, `mutation($id: ID!) { sendMessage(input: { channelId: $id, body: "pin me" }) { id } }`, { id: channel.id });
  await stack.expectData(alice, `mutation($id: ID!) { pinMessage(id: $id, pinned: true) { id } }`, { id: sent.id });
  const PAGE = `query($id: ID!) { channel(id: $id) { messages(last: 10) { edges { node { body } } } pinnedMessages { id body } } }`;
  await stack.expectData(bob, PAGE, { id: channel.id });

  statements.length = 0;
  const warm = await stack.expectData(bob, PAGE, { id: channel.id });
  expect(warm.channel.pinnedMessages).toEqual([{ id: sent.id, body: 'pin me' }]);
  expect(warm.channel.messages.edges).toEqual([{ node: { body: 'pin me' } }]);
  expect(statements.filter((s) => /\bFROM messages\b/.test(s))).toEqual([]);
});

/** The access check's own statement (the channel subgraph's row read has the channel's columns too). */
const accessStatements = () => statements.filter((s) => /^\s*SELECT c\.id, c\.kind, c\.visibility, c\.archived_at AS "archivedAt", m\.role/.test(s)).length;

const PRIVATE_PAGE = `query($id: ID!) { channel(id: $id) { name messages(last: 5) { edges { node { body } } } pinnedMessages { id }
  unreadCount voiceParticipants { id } threads(first: 5) { edges { node { id } } } } }`;

async function privateRoom() {
  const [alice, bob] = await Promise.all([person('Alice'), person('Bob')]);
  await stack.expectData(bob, `{ me { id } }`);
  const { createChannel: channel } = await stack.expectData(alice, `mutation { createChannel(input: { name: "secret", kind: TEXT, visibility: PRIVATE }) { id } }`);
  await stack.expectData(alice, `mutation($c: ID!, $u: ID!) { inviteMember(channelId: $c, userId: $u) { role } }`, { c: channel.id, u: bob.id });
  await stack.expectData(alice, `mutation($id: ID!) { sendMessage(input: { channelId: $id, body: "for members" }) { id } }`, { id: channel.id });
  return { alice, bob, channelId: channel.id as string };
}

it("checks a page's channel fields in the other subgraphs on the channel subgraph's grant, and a removal on the next request", async () => {
  const { alice, bob, channelId } = await privateRoom();
  statements.length = 0;
  const page = await stack.expectData(bob, PRIVATE_PAGE, { id: channelId });
  expect(page.channel).toMatchObject({ name: 'secret', messages: { edges: [{ node: { body: 'for members' } }] }, voiceParticipants: [], threads: { edges: [] } });
  expect(accessStatements()).toBe(0);
  // The grant travels between subgraphs only: the client's answer has what it asked for.
  expect(JSON.stringify(page)).not.toContain('accessGrant');

  await stack.expectData(alice, `mutation($c: ID!, $u: ID!) { removeMember(channelId: $c, userId: $u) }`, { c: channelId, u: bob.id });
  const after = await stack.request(bob, PRIVATE_PAGE, { id: channelId });
  expect(after.data?.channel ?? null).toBeNull();
  expect(JSON.stringify(after)).not.toContain('for members');
});

it("ignores a grant that is not the caller's: the subgraph reads the row and refuses", async () => {
  const { alice, channelId } = await privateRoom();
  const outsider = await person('Mallory');
  const signUser = createForwardedUserSigner(TEST_GATEWAY_SECRET);
  const ENTITY = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Channel { messages(last: 5) { edges { node { body } } } } } }`;
  const asOutsider = async (accessGrant: string) => {
    const res = await fetch(stack.subgraphUrls.message, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [FORWARDED_USER_HEADER]: await signUser(outsider) },
      body: JSON.stringify({ query: ENTITY, variables: { r: [{ __typename: 'Channel', id: channelId, accessGrant }] } }),
    });
    return (await res.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> };
  };
  const claims = {
    channel: { id: channelId, kind: 'TEXT' as const, visibility: 'PUBLIC' as const, archivedAt: null },
    membership: { channelId, userId: outsider.id, role: 'OWNER' as const, joinedAt: new Date() },
  };
  const refusals = [
    // Alice's grant, presented by someone else.
    await createAccessGrants(TEST_GATEWAY_SECRET).sign({ ...claims, membership: { ...claims.membership, userId: alice.id } }, alice.id),
    // Made up for the outsider, signed with the wrong secret.
    await createAccessGrants('not-the-gateway-secret-0123456789-abcdefgh').sign(claims, outsider.id),
    'garbage',
  ];
  for (const grant of refusals) {
    const res = await asOutsider(grant);
    expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(JSON.stringify(res)).not.toContain('for members');
  }
});

it("reads many channels' pins in one statement when nothing reads their pages", async () => {
  const alice = await person('Alice');
  const ids: string[] = [];
  for (const name of ['one', 'two', 'three']) {
    const { createChannel: channel } = await stack.expectData(alice, `mutation($n: String!) { createChannel(input: { name: $n, kind: TEXT }) { id } }`, { n: name });
    const { sendMessage: sent } = await stack.expectData(alice, `mutation($id: ID!) { sendMessage(input: { channelId: $id, body: "pinned" }) { id } }`, { id: channel.id });
    await stack.expectData(alice, `mutation($id: ID!) { pinMessage(id: $id, pinned: true) { id } }`, { id: sent.id });
    ids.push(channel.id);
  }
  const cache = () => {
    const { hits, misses } = (stack.subgraphs.message as MessageSubgraph).cacheStats();
    return hits + misses;
  };
  const reads = cache();
  statements.length = 0;
  const res = await fetch(stack.subgraphUrls.message, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [FORWARDED_USER_HEADER]: await createForwardedUserSigner(TEST_GATEWAY_SECRET)(alice) },
    body: JSON.stringify({
      query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on Channel { pinnedMessages { body } } } }`,
      variables: { r: ids.map((id) => ({ __typename: 'Channel', id })) },
    }),
  });
  const body = (await res.json()) as { data: { _entities: Array<{ pinnedMessages: Array<{ body: string }> }> } };
  expect(body.data._entities.map((c) => c.pinnedMessages)).toEqual(ids.map(() => [{ body: 'pinned' }]));
  expect(statements.filter((s) => /\bFROM messages\b/.test(s))).toHaveLength(1);
  expect(cache()).toBe(reads);
});

it('keeps the grant out of the API: clients can neither see nor ask for it', async () => {
  const { bob, channelId } = await privateRoom();
  const asked = await stack.request(bob, `query($id: ID!) { channel(id: $id) { accessGrant } }`, { id: channelId });
  expect(asked.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  const { __type } = await stack.expectData(bob, `{ __type(name: "Channel") { fields { name } } }`);
  expect(__type.fields.map((f: { name: string }) => f.name)).not.toContain('accessGrant');
});

it('stores a send in one statement, a reply or a send with a clientId too, and refuses as before', async () => {
  const [alice, bob] = await Promise.all([person('Alice'), person('Bob')]);
  const { createChannel: channel } = await stack.expectData(alice, `mutation { createChannel(input: { name: "sends", kind: TEXT }) { id } }`);
  const send = (input: Record<string, unknown>, who = alice) =>
    stack.request(who, `mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }`, { input: { channelId: channel.id, ...input } });
  const sentIn = async (input: Record<string, unknown>) => {
    statements.length = 0;
    const id = (await send(input)).data.sendMessage.id as string;
    return { id, statements: [...statements] };
  };

  // Membership, the open channel, the parent and the clientId are checked in the insert itself.
  const plain = await sentIn({ body: 'plain' });
  expect(plain.statements).toEqual([expect.stringMatching(/INSERT INTO messages/)]);
  const reply = await sentIn({ body: 'a reply', replyToId: plain.id, clientId: 'c-1' });
  expect(reply.statements).toEqual([expect.stringMatching(/INSERT INTO messages/)]);
  const { message } = await stack.expectData(alice, `query($id: ID!) { message(id: $id) { body replyTo { id } } }`, { id: reply.id });
  expect(message).toEqual({ body: 'a reply', replyTo: { id: plain.id } });

  // A retry answers the first; a non-member is refused; neither stores anything.
  expect((await send({ body: 'a reply', clientId: 'c-1' })).data.sendMessage.id).toBe(reply.id);
  expect((await send({ body: 'let me in' }, bob)).errors?.[0].extensions?.code).toBe('FORBIDDEN');
  expect(await stack.deps.prisma.message.count({ where: { channelId: channel.id } })).toBe(2);
});
