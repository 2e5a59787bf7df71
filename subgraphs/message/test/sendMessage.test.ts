import { randomUUID } from 'node:crypto';
import type { Viewer } from '@commons/shared';
import { createChannel, createUser, MESSAGE_FIELDS, startMessageSubgraph } from './helpers';

const SEND = `mutation ($input: SendMessageInput!) { sendMessage(input: $input) { ${MESSAGE_FIELDS} } }`;

let subgraph: Awaited<ReturnType<typeof startMessageSubgraph>>;
beforeAll(async () => {
  subgraph = await startMessageSubgraph('message_send');
});
afterAll(() => subgraph.close());

const prisma = () => subgraph.deps.prisma;
const send = (viewer: Viewer | null, input: Record<string, unknown>) => subgraph.request(viewer, SEND, { input });
const codeOf = (res: { errors?: Array<{ extensions?: Record<string, any> }> }) => res.errors?.[0]?.extensions?.code;

async function memberChannel(options: { archived?: boolean } = {}) {
  const user = await createUser(prisma());
  const channelId = await createChannel(prisma(), { members: [user], ...options });
  return { user, channelId };
}

describe('sendMessage', () => {
  it('stores the message and returns it with its references', async () => {
    const { user, channelId } = await memberChannel();
    const data = await subgraph.expectData(user, SEND, { input: { channelId, body: 'hello', clientId: 'c-1' } });
    expect(data.sendMessage).toMatchObject({ body: 'hello', clientId: 'c-1', channel: { id: channelId }, author: { id: user.id }, replyTo: null });
    expect(new Date(data.sendMessage.createdAt).toISOString()).toBe(data.sendMessage.createdAt);
    const row = await prisma().message.findUniqueOrThrow({ where: { id: data.sendMessage.id } });
    expect(row).toMatchObject({ channelId, authorId: user.id, body: 'hello', seq: 1n });
  });

  it('replies to a message in the same channel', async () => {
    const { user, channelId } = await memberChannel();
    const first = await subgraph.expectData(user, SEND, { input: { channelId, body: 'question' } });
    const reply = await subgraph.expectData(user, SEND, { input: { channelId, body: 'answer', replyToId: first.sendMessage.id } });
    expect(reply.sendMessage.replyTo).toEqual({ id: first.sendMessage.id });
  });

  it('counts code points: 4000 emoji fit', async () => {
    const { user, channelId } = await memberChannel();
    const body = '😀'.repeat(4000);
    const data = await subgraph.expectData(user, SEND, { input: { channelId, body } });
    expect(data.sendMessage.body).toBe(body);
  });

  it.each([
    ['empty', ''],
    ['whitespace only', ' \n\t '],
    ['4001 characters', 'a'.repeat(4001)],
  ])('rejects a body that is %s, storing nothing', async (_name, body) => {
    const { user, channelId } = await memberChannel();
    const res = await send(user, { channelId, body });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(await prisma().message.count({ where: { channelId } })).toBe(0);
  });

  it.each([
    ['empty', ''],
    ['65 characters', 'x'.repeat(65)],
  ])('rejects a clientId that is %s', async (_name, clientId) => {
    const { user, channelId } = await memberChannel();
    expect(codeOf(await send(user, { channelId, body: 'hi', clientId }))).toBe('BAD_USER_INPUT');
  });

  it('rejects a reply to a message in another channel, or to no message', async () => {
    const { user, channelId } = await memberChannel();
    const otherChannel = await createChannel(prisma(), { members: [user] });
    const elsewhere = await subgraph.expectData(user, SEND, { input: { channelId: otherChannel, body: 'elsewhere' } });
    expect(codeOf(await send(user, { channelId, body: 'hi', replyToId: elsewhere.sendMessage.id }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await send(user, { channelId, body: 'hi', replyToId: randomUUID() }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await send(user, { channelId, body: 'hi', replyToId: 'not-a-uuid' }))).toBe('BAD_USER_INPUT');
    expect(await prisma().message.count({ where: { channelId } })).toBe(0);
  });

  it('answers NOT_FOUND for a channel id that is malformed or missing', async () => {
    const user = await createUser(prisma());
    expect(codeOf(await send(user, { channelId: 'nope', body: 'hi' }))).toBe('NOT_FOUND');
    expect(codeOf(await send(user, { channelId: randomUUID(), body: 'hi' }))).toBe('NOT_FOUND');
  });

  it('answers FORBIDDEN to a non-member of a public channel', async () => {
    const { channelId } = await memberChannel();
    const stranger = await createUser(prisma());
    expect(codeOf(await send(stranger, { channelId, body: 'hi' }))).toBe('FORBIDDEN');
  });

  it('answers NOT_FOUND to a non-member of a private channel', async () => {
    const owner = await createUser(prisma());
    const channelId = await createChannel(prisma(), { visibility: 'PRIVATE', members: [owner] });
    const stranger = await createUser(prisma());
    expect(codeOf(await send(stranger, { channelId, body: 'hi' }))).toBe('NOT_FOUND');
  });

  it('answers CONFLICT in an archived channel', async () => {
    const { user, channelId } = await memberChannel({ archived: true });
    expect(codeOf(await send(user, { channelId, body: 'hi' }))).toBe('CONFLICT');
    expect(await prisma().message.count({ where: { channelId } })).toBe(0);
  });

  it('answers UNAUTHENTICATED without a viewer', async () => {
    const { channelId } = await memberChannel();
    expect(codeOf(await send(null, { channelId, body: 'hi' }))).toBe('UNAUTHENTICATED');
  });

  it('returns the first message for a repeated clientId', async () => {
    const { user, channelId } = await memberChannel();
    const first = await subgraph.expectData(user, SEND, { input: { channelId, body: 'once', clientId: 'retry-me' } });
    const second = await subgraph.expectData(user, SEND, { input: { channelId, body: 'once', clientId: 'retry-me' } });
    expect(second.sendMessage.id).toBe(first.sendMessage.id);
    expect(await prisma().message.count({ where: { channelId } })).toBe(1);
  });

  // The access check, the retry lookup and the reply's parent are read side by side: the
  // answers must still come in the order of the checks.
  it('checks access before answering a retry or judging a reply; a retry outlives archiving', async () => {
    const { user, channelId } = await memberChannel();
    const first = await subgraph.expectData(user, SEND, { input: { channelId, body: 'once', clientId: 'kept' } });
    await prisma().channel.update({ where: { id: channelId }, data: { archivedAt: new Date() } });
    expect((await subgraph.expectData(user, SEND, { input: { channelId, body: 'once', clientId: 'kept' } })).sendMessage.id).toBe(first.sendMessage.id);
    expect(codeOf(await send(user, { channelId, body: 'new', clientId: 'other', replyToId: randomUUID() }))).toBe('CONFLICT');

    await prisma().membership.delete({ where: { channelId_userId: { channelId, userId: user.id } } });
    expect(codeOf(await send(user, { channelId, body: 'once', clientId: 'kept' }))).toBe('FORBIDDEN');
    const hidden = await createChannel(prisma(), { visibility: 'PRIVATE' });
    expect(codeOf(await send(user, { channelId: hidden, body: 'hi', replyToId: first.sendMessage.id }))).toBe('NOT_FOUND');
    expect(await prisma().message.count({ where: { channelId: { in: [channelId, hidden] } } })).toBe(1);
  });

  it('stores one message for 10 concurrent sends with the same clientId', async () => {
    const { user, channelId } = await memberChannel();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => subgraph.expectData(user, SEND, { input: { channelId, body: 'once', clientId: 'race' } })),
    );
    expect(new Set(results.map((r) => r.sendMessage.id)).size).toBe(1);
    expect(await prisma().message.count({ where: { channelId } })).toBe(1);
    // The losers' counter increments rolled back with them: the next message is seq 2.
    await subgraph.expectData(user, SEND, { input: { channelId, body: 'next' } });
    const seqs = await prisma().message.findMany({ where: { channelId }, select: { seq: true }, orderBy: { seq: 'asc' } });
    expect(seqs.map((m) => m.seq)).toEqual([1n, 2n]);
  });

  it('gives 20 concurrent sends in one channel seq 1..20 with no gap', async () => {
    const { user, channelId } = await memberChannel();
    await Promise.all(Array.from({ length: 20 }, (_, i) => subgraph.expectData(user, SEND, { input: { channelId, body: `m${i}` } })));
    const rows = await prisma().message.findMany({ where: { channelId }, select: { seq: true }, orderBy: { seq: 'asc' } });
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('numbers each channel on its own', async () => {
    const { user, channelId } = await memberChannel();
    const other = await createChannel(prisma(), { members: [user] });
    await subgraph.expectData(user, SEND, { input: { channelId, body: 'a' } });
    const b = await subgraph.expectData(user, SEND, { input: { channelId: other, body: 'b' } });
    expect((await prisma().message.findUniqueOrThrow({ where: { id: b.sendMessage.id } })).seq).toBe(1n);
  });
});
