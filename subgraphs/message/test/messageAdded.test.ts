import { randomUUID } from 'node:crypto';
import { ADMISSION_MAX_PAYLOAD, AdmissionCloseCode, createForwardedUserSigner, FORWARDED_USER_HEADER, LIVE_MARKER, LIVE_MARKER_EXTENSION, topics, type Viewer } from '@commons/shared';
import type { Client } from 'graphql-ws';
import { toMessageEvent } from '../src/domain/messageRow';
import { insertMessage } from '../src/domain/sendMessage';
import { addMember, createChannel, createUser, createWsClient, MESSAGE_FIELDS, startMessageSubgraph, subscribe, waitFor } from './helpers';
import { openAdmissionSocket, signForwardedUser } from '../../../tests/testkit/admission';

const SEND = `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { ${MESSAGE_FIELDS} } }`;
const MESSAGE_ADDED = `subscription ($channelId: ID!, $after: String) { messageAdded(channelId: $channelId, after: $after) { ${MESSAGE_FIELDS} } }`;

let subgraph: Awaited<ReturnType<typeof startMessageSubgraph>>;
let client: Client;
beforeAll(async () => {
  subgraph = await startMessageSubgraph('message_live');
  client = createWsClient(subgraph.url);
});
afterAll(async () => {
  await client.dispose();
  await subgraph.close();
});

const prisma = () => subgraph.deps.prisma;
const send = async (viewer: Viewer, channelId: string, body: string) =>
  (await subgraph.expectData(viewer, SEND, { input: { channelId, body } })).sendMessage;
const listening = (channelId: string, count = 1) =>
  waitFor(() => (subgraph.observed.subscribed.get(topics.messageAdded(channelId)) ?? 0) >= count, 'the subscriber');
const bodiesOf = (events: Array<{ data?: any }>) => events.map((e) => e.data?.messageAdded.body);
const codeOf = (sub: { events: Array<{ errors?: readonly any[] }>; error: unknown }) =>
  sub.events[0]?.errors?.[0]?.extensions?.code ?? (sub.error as any[] | undefined)?.[0]?.extensions?.code;

async function memberChannel(visibility: 'PUBLIC' | 'PRIVATE' = 'PUBLIC') {
  const user = await createUser(prisma());
  const channelId = await createChannel(prisma(), { visibility, members: [user] });
  return { user, channelId };
}

describe('messageAdded', () => {
  it('delivers a new message live, with every field', async () => {
    const { user, channelId } = await memberChannel();
    const reader = await createUser(prisma());
    const sub = await subscribe(client, reader, MESSAGE_ADDED, { channelId });
    await listening(channelId);
    const sent = await send(user, channelId, 'live!');
    const [event] = await sub.nextEvents(1);
    expect(event).toEqual({ data: { messageAdded: sent } });
    expect(event.data?.messageAdded).toMatchObject({ body: 'live!', author: { id: user.id }, channel: { id: channelId } });
    sub.unsubscribe();
  });

  it('replays after a cursor, then goes live, with no gap and no duplicate', async () => {
    const { user, channelId } = await memberChannel();
    const before = [];
    for (const body of ['m1', 'm2', 'm3', 'm4', 'm5']) before.push(await send(user, channelId, body));

    const sub = await subscribe(client, user, MESSAGE_ADDED, { channelId, after: before[2].cursor });
    await listening(channelId);
    await sub.nextEvents(2);
    // A late duplicate of a replayed message must not be delivered again.
    const m4 = await prisma().message.findUniqueOrThrow({ where: { id: before[3].id } });
    await subgraph.deps.pubsub.publish(topics.messageAdded(channelId), toMessageEvent(m4));
    for (const body of ['m6', 'm7', 'm8']) await send(user, channelId, body);

    const events = await sub.nextEvents(5);
    expect(bodiesOf(events)).toEqual(['m4', 'm5', 'm6', 'm7', 'm8']);
    expect(events[0].data?.messageAdded).toEqual(before[3]);
    // One more live message: still exactly one event each.
    await send(user, channelId, 'm9');
    expect(bodiesOf(await sub.nextEvents(6))).toEqual(['m4', 'm5', 'm6', 'm7', 'm8', 'm9']);
    sub.unsubscribe();
  });

  it('fills a gap from the database when a later event arrives first', async () => {
    const { user, channelId } = await memberChannel();
    const sub = await subscribe(client, user, MESSAGE_ADDED, { channelId });
    await listening(channelId);
    // Stored, but its event is still on its way (another replica, slower to publish).
    await insertMessage(prisma(), { channelId, authorId: user.id, body: 'slow' });
    await send(user, channelId, 'fast');
    expect(bodiesOf(await sub.nextEvents(2))).toEqual(['slow', 'fast']);
    sub.unsubscribe();
  });

  it('gives a non-member of a private channel NOT_FOUND and no event', async () => {
    const { user, channelId } = await memberChannel('PRIVATE');
    const outsider = await createUser(prisma());
    const sub = await subscribe(client, outsider, MESSAGE_ADDED, { channelId });
    await waitFor(() => sub.completed || sub.error !== undefined, 'the subscription to end');
    expect(codeOf(sub)).toBe('NOT_FOUND');
    await send(user, channelId, 'secret');
    expect(sub.events.some((e) => e.data)).toBe(false);
    expect(subgraph.observed.subscribed.get(topics.messageAdded(channelId))).toBeUndefined();
  });

  it('answers UNAUTHENTICATED without a viewer, and BAD_USER_INPUT for a bad cursor', async () => {
    const { user, channelId } = await memberChannel();
    const anonymous = await subscribe(client, null, MESSAGE_ADDED, { channelId });
    const badCursor = await subscribe(client, user, MESSAGE_ADDED, { channelId, after: 'garbage' });
    const missing = await subscribe(client, user, MESSAGE_ADDED, { channelId: randomUUID() });
    for (const sub of [anonymous, badCursor, missing]) {
      await waitFor(() => sub.completed || sub.error !== undefined, 'the subscription to end');
    }
    expect([codeOf(anonymous), codeOf(badCursor), codeOf(missing)]).toEqual(['UNAUTHENTICATED', 'BAD_USER_INPUT', 'NOT_FOUND']);
  });

  it('says when a stream is live on the broker, before any event, only to a caller who asks', async () => {
    const { user, channelId } = await memberChannel();
    const seen: Array<{ event: unknown; subscribed: number }> = [];
    const stop = client.subscribe(
      { query: MESSAGE_ADDED, variables: { channelId }, extensions: { [FORWARDED_USER_HEADER]: await signForwardedUser(user), [LIVE_MARKER_EXTENSION]: true } },
      { next: (event) => void seen.push({ event, subscribed: subgraph.observed.subscribed.get(topics.messageAdded(channelId)) ?? 0 }), error: () => {}, complete: () => {} },
    );
    await waitFor(() => seen.length === 1, 'the live marker');
    expect(seen[0]).toEqual({ event: LIVE_MARKER, subscribed: 1 });
    const sent = await send(user, channelId, 'after live');
    await waitFor(() => seen.length === 2, 'the message');
    expect(seen[1].event).toEqual({ data: { messageAdded: sent } });
    stop();

    // A refused subscription is never live.
    const outsider = await createUser(prisma());
    const privateChannel = await createChannel(prisma(), { visibility: 'PRIVATE', members: [user] });
    const refused: unknown[] = [];
    await new Promise<void>(async (resolve) => {
      client.subscribe(
        { query: MESSAGE_ADDED, variables: { channelId: privateChannel }, extensions: { [FORWARDED_USER_HEADER]: await signForwardedUser(outsider), [LIVE_MARKER_EXTENSION]: true } },
        { next: (event) => void refused.push(event), error: (err) => void refused.push(err), complete: resolve },
      );
    });
    expect(refused).toEqual([{ errors: [expect.objectContaining({ extensions: { code: 'NOT_FOUND' } })] }]);
  });

  it('releases its pub/sub subscription when the client unsubscribes', async () => {
    const { user, channelId } = await memberChannel();
    const topic = topics.messageAdded(channelId);
    const sub = await subscribe(client, user, MESSAGE_ADDED, { channelId });
    await listening(channelId);
    expect(subgraph.observed.open.get(topic)).toBe(1);
    // The stream is idle, waiting for an event that never comes: unsubscribing must still end it.
    sub.unsubscribe();
    await waitFor(() => subgraph.observed.open.get(topic) === 0, 'the pub/sub queue to close');
  });

  it('refuses an operation that does not parse or validate with an error, and serves the socket on', async () => {
    const { user, channelId } = await memberChannel();
    const broken = await subscribe(client, user, 'subscription { messageAdded(', {});
    const invalid = await subscribe(client, user, 'subscription { noSuchField }', {});
    for (const sub of [broken, invalid]) await waitFor(() => sub.completed || sub.error !== undefined, 'the refusal');
    expect((broken.error as any[])?.[0]).toMatchObject({ message: expect.stringMatching(/Syntax Error/), extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
    expect((invalid.error as any[])?.[0]).toMatchObject({ message: expect.stringMatching(/noSuchField/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    const working = await subscribe(client, user, MESSAGE_ADDED, { channelId });
    await listening(channelId);
    await send(user, channelId, 'still here');
    await working.nextEvents(1);
    expect(bodiesOf(working.events)).toEqual(['still here']);
    working.unsubscribe();
  });
});

describe('admission (the gateway asking whether a caller may follow a shared stream)', () => {
  let socket: Awaited<ReturnType<typeof openAdmissionSocket>>;
  let lastId = 0;
  beforeAll(async () => {
    socket = await openAdmissionSocket(subgraph.url);
    socket.send({ type: 'op', op: 1, query: MESSAGE_ADDED, variables: {} });
  });
  afterAll(() => socket.close());

  const membershipWatchers = (channelId: string) => subgraph.observed.open.get(topics.membershipChanged(channelId)) ?? 0;
  /** Admits `viewer` to the channel's messageAdded stream (op 2+ per channel) on `on`; returns the admission id. */
  const admit = async (viewer: Viewer | null, channelId: string, on = socket) => {
    const id = ++lastId;
    on.send({ type: 'op', op: 1000 + id, query: MESSAGE_ADDED, variables: { channelId } });
    on.send({ type: 'admit', id, op: 1000 + id, user: await signForwardedUser(viewer) });
    return id;
  };
  const removeMember = async (user: Viewer, channelId: string) => {
    await prisma().membership.delete({ where: { channelId_userId: { channelId, userId: user.id } } });
    await subgraph.deps.pubsub.publish(topics.membershipChanged(channelId), { channelId, userId: user.id, change: 'LEFT' });
  };

  it('admits a member, subscribes to no messages, and ends only them NOT_FOUND once they are removed', async () => {
    const { user, channelId } = await memberChannel('PRIVATE');
    const stays = await createUser(prisma());
    await addMember(prisma(), channelId, stays);
    const leaving = await admit(user, channelId);
    const staying = await admit(stays, channelId);
    await socket.waitFor(leaving, 'admitted');
    await socket.waitFor(staying, 'admitted');
    await send(user, channelId, 'not for the admission');
    expect(subgraph.observed.subscribed.get(topics.messageAdded(channelId))).toBeUndefined();

    await removeMember(user, channelId);
    await socket.waitFor(leaving, 'ended');
    expect(socket.about(leaving)).toEqual([
      { type: 'admitted', id: leaving },
      { type: 'ended', id: leaving, errors: [{ message: 'Channel not found', extensions: { code: 'NOT_FOUND' } }] },
    ]);
    await new Promise((r) => setTimeout(r, 200));
    expect(socket.about(staying)).toEqual([{ type: 'admitted', id: staying }]);
    expect(membershipWatchers(channelId)).toBe(1);
    socket.send({ type: 'leave', id: staying });
    await waitFor(() => membershipWatchers(channelId) === 0, 'the admission to let go of membership events');
  });

  it('refuses a non-member of a private channel, and an anonymous caller, as the subscription would', async () => {
    const { channelId } = await memberChannel('PRIVATE');
    const outsider = await admit(await createUser(prisma()), channelId);
    const anonymous = await admit(null, channelId);
    const missing = await admit(await createUser(prisma()), randomUUID());
    for (const id of [outsider, anonymous, missing]) await socket.waitFor(id, 'ended');
    expect(socket.about(outsider)).toEqual([{ type: 'ended', id: outsider, errors: [expect.objectContaining({ extensions: { code: 'NOT_FOUND' } })] }]);
    expect(socket.about(missing)[0]).toMatchObject({ type: 'ended', errors: [{ extensions: { code: 'NOT_FOUND' } }] });
    expect(socket.about(anonymous)[0]).toMatchObject({ type: 'ended', errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(membershipWatchers(channelId)).toBe(0);
  });

  it('ends an admission whose caller token is forged UNAUTHENTICATED, and one for an invalid operation with its errors', async () => {
    const { user, channelId } = await memberChannel();
    const forged = ++lastId;
    socket.send({ type: 'admit', id: forged, op: 1, user: 'not-a-token' });
    socket.send({ type: 'op', op: 2, query: 'subscription { noSuchField }' });
    const invalid = ++lastId;
    socket.send({ type: 'admit', id: invalid, op: 2, user: await signForwardedUser(user) });
    await socket.waitFor(forged, 'ended');
    await socket.waitFor(invalid, 'ended');
    expect(socket.about(forged)[0]).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(socket.about(invalid)[0]).toMatchObject({ errors: [{ message: expect.stringMatching(/noSuchField/), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });
    // The socket serves on.
    const fine = await admit(user, channelId);
    await socket.waitFor(fine, 'admitted');
    socket.send({ type: 'leave', id: fine });
  });

  it('lets go of every admission when asked to leave or when the socket closes, and ignores unknown ids', async () => {
    const { user, channelId } = await memberChannel('PRIVATE');
    const own = await openAdmissionSocket(subgraph.url);
    const first = await admit(user, channelId, own);
    const second = await admit(user, channelId, own);
    await own.waitFor(first, 'admitted');
    await own.waitFor(second, 'admitted');
    expect(membershipWatchers(channelId)).toBe(2);
    own.send({ type: 'leave', id: first });
    own.send({ type: 'leave', id: 987654321 });
    await waitFor(() => membershipWatchers(channelId) === 1, 'the left admission to be returned');
    expect(own.about(first)).toEqual([{ type: 'admitted', id: first }]);
    own.close();
    await waitFor(() => membershipWatchers(channelId) === 0, 'the closed socket to return its admissions');
  });

  it('refuses a socket without the gateway\'s token, or with a forged one, at the upgrade', async () => {
    expect((await openAdmissionSocket(subgraph.url, null)).opened).toBe(401);
    expect((await openAdmissionSocket(subgraph.url, 'forged')).opened).toBe(401);
    const otherSecret = await createForwardedUserSigner('another-secret-0123456789-abcdefghijklmnop')(null);
    expect((await openAdmissionSocket(subgraph.url, otherSecret)).opened).toBe(401);
  });

  it('closes a socket that sends a malformed, unknown or oversized message, and serves new sockets on', async () => {
    const { user, channelId } = await memberChannel('PRIVATE');
    const cases: Array<[string, string | object, number]> = [
      ['not JSON', '{"type":"admit",', AdmissionCloseCode.BadMessage],
      ['no type', { id: 1 }, AdmissionCloseCode.BadMessage],
      ['a bad id', { type: 'leave', id: 'one' }, AdmissionCloseCode.BadMessage],
      ['an unknown op', { type: 'admit', id: 1, op: 42, user: 'x' }, AdmissionCloseCode.BadMessage],
      ['too large', JSON.stringify({ type: 'op', op: 1, query: 'x'.repeat(ADMISSION_MAX_PAYLOAD) }), 1009],
    ];
    for (const [what, message, code] of cases) {
      const bad = await openAdmissionSocket(subgraph.url);
      const admitted = await admit(user, channelId, bad);
      await bad.waitFor(admitted, 'admitted');
      bad.send(typeof message === 'string' ? message : JSON.stringify(message));
      await bad.waitForClose();
      expect([what, bad.closed?.code]).toEqual([what, code]);
      // Its admissions were let go of with it.
      await waitFor(() => membershipWatchers(channelId) === 0, `the admissions of the socket closed for ${what}`);
    }
    const good = await admit(user, channelId);
    await socket.waitFor(good, 'admitted');
    socket.send({ type: 'leave', id: good });
  });
});
