import { randomUUID } from 'node:crypto';
import { encodeCursor, type Viewer } from '@commons/shared';
import { insertMessage } from '../src/domain/sendMessage';
import { createChannel, createUser, startMessageSubgraph } from './helpers';

const MESSAGE = `query ($id: ID!) { message(id: $id) { id body channel { id } author { id } } }`;
const ENTITIES = `query ($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Message { id body replyTo { id } } }
}`;
const PAGE = `query ($representations: [_Any!]!, $first: Int, $after: String, $last: Int, $before: String) {
  _entities(representations: $representations) {
    ... on Channel {
      messages(first: $first, after: $after, last: $last, before: $before) {
        edges { cursor node { id body cursor } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }
  }
}`;

let subgraph: Awaited<ReturnType<typeof startMessageSubgraph>>;
beforeAll(async () => {
  subgraph = await startMessageSubgraph('message_reads');
});
afterAll(() => subgraph.close());

const prisma = () => subgraph.deps.prisma;
const codeOf = (res: { errors?: Array<{ extensions?: Record<string, any> }> }) => res.errors?.[0]?.extensions?.code;
const post = (channelId: string, author: Viewer, body: string) => insertMessage(prisma(), { channelId, authorId: author.id, body });

/** A public channel, a private one, their member, an outsider, and a message in each. */
async function world() {
  const member = await createUser(prisma());
  const outsider = await createUser(prisma());
  const publicChannel = await createChannel(prisma(), { members: [member] });
  const privateChannel = await createChannel(prisma(), { visibility: 'PRIVATE', members: [member] });
  const publicMessage = await post(publicChannel, member, 'in public');
  const privateMessage = await post(privateChannel, member, 'in private');
  return { member, outsider, publicChannel, privateChannel, publicMessage, privateMessage };
}

describe('message(id)', () => {
  it('returns a message the caller can read, and null otherwise', async () => {
    const w = await world();
    const read = async (viewer: Viewer, id: string) => (await subgraph.expectData(viewer, MESSAGE, { id })).message;
    expect(await read(w.member, w.privateMessage.id)).toMatchObject({ body: 'in private', author: { id: w.member.id } });
    expect(await read(w.outsider, w.publicMessage.id)).toMatchObject({ body: 'in public', channel: { id: w.publicChannel } });
    expect(await read(w.outsider, w.privateMessage.id)).toBeNull();
    expect(await read(w.member, randomUUID())).toBeNull();
    expect(await read(w.member, 'not-a-uuid')).toBeNull();
  });

  it('answers UNAUTHENTICATED without a viewer', async () => {
    const w = await world();
    expect(codeOf(await subgraph.request(null, MESSAGE, { id: w.publicMessage.id }))).toBe('UNAUTHENTICATED');
  });
});

describe('_entities for Message', () => {
  it('resolves readable messages and nulls the others', async () => {
    const w = await world();
    const representations = [w.publicMessage, w.privateMessage].map(({ id }) => ({ __typename: 'Message', id }));
    const asOutsider = await subgraph.expectData(w.outsider, ENTITIES, { representations });
    expect(asOutsider._entities).toEqual([{ id: w.publicMessage.id, body: 'in public', replyTo: null }, null]);
    const asMember = await subgraph.expectData(w.member, ENTITIES, { representations });
    expect(asMember._entities.map((m: { body: string }) => m.body)).toEqual(['in public', 'in private']);
  });

  it('resolves 100 references, with replies, in a bounded number of queries', async () => {
    const w = await world();
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      const channelId = [w.publicChannel, w.privateChannel][i % 2];
      const message = await insertMessage(prisma(), { channelId, authorId: w.member.id, body: `m${i}`, replyToId: i % 2 ? w.privateMessage.id : w.publicMessage.id });
      ids.push(message.id);
    }
    const representations = ids.map((id) => ({ __typename: 'Message', id }));
    subgraph.queries.count = 0;
    const data = await subgraph.expectData(w.outsider, ENTITIES, { representations });
    // Messages, the channels' visibility with the viewer's memberships, the replied-to messages.
    expect(subgraph.queries.count).toBeGreaterThan(0);
    expect(subgraph.queries.count).toBeLessThanOrEqual(3);
    expect(data._entities.filter(Boolean)).toHaveLength(50);
    expect(data._entities[0]).toEqual({ id: ids[0], body: 'm0', replyTo: { id: w.publicMessage.id } });
    expect(data._entities[1]).toBeNull();
  });
});

describe('Channel.messages', () => {
  const COUNT = 125;
  let member: Viewer;
  let channelId: string;
  beforeAll(async () => {
    member = await createUser(prisma());
    channelId = await createChannel(prisma(), { members: [member] });
    for (let i = 1; i <= COUNT; i++) await post(channelId, member, `m${i}`);
  });

  const page = async (args: Record<string, unknown>, viewer: Viewer = member, channel = channelId) =>
    subgraph.request(viewer, PAGE, { representations: [{ __typename: 'Channel', id: channel }], ...args });
  const connection = async (args: Record<string, unknown>) => {
    const res = await page(args);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    return res.data._entities[0].messages;
  };
  const bodies = (conn: { edges: Array<{ node: { body: string } }> }) => conn.edges.map((e) => e.node.body);
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `m${from + i}`);

  it('walks forward over every message, oldest first, with no gap or duplicate', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const conn: any = await connection({ first: 40, after });
      seen.push(...bodies(conn));
      expect(conn.pageInfo.hasPreviousPage).toBe(after !== null);
      for (const edge of conn.edges) expect(edge.cursor).toBe(edge.node.cursor);
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(seen).toEqual(range(1, COUNT));
  });

  it('walks backward from the latest, with no gap or duplicate', async () => {
    const pages: string[][] = [];
    let before: string | null = null;
    for (;;) {
      const conn: any = await connection({ last: 30, before });
      pages.push(bodies(conn));
      if (!conn.pageInfo.hasPreviousPage) break;
      before = conn.pageInfo.startCursor;
    }
    expect(pages[0]).toEqual(range(96, 125));
    expect(pages.reverse().flat()).toEqual(range(1, COUNT));
  });

  it('pages forward by 50 by default; last: 50 is the latest 50', async () => {
    expect(bodies(await connection({}))).toEqual(range(1, 50));
    const latest = await connection({ last: 50 });
    expect(bodies(latest)).toEqual(range(76, 125));
    expect(latest.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
  });

  it('rejects first: 101 and bad cursors with BAD_USER_INPUT', async () => {
    expect(codeOf(await page({ first: 101 }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await page({ last: 101 }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await page({ first: 10, after: 'garbage' }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await page({ last: 10, before: encodeCursor('x', [5]) }))).toBe('BAD_USER_INPUT');
    expect(codeOf(await page({ first: 10, after: encodeCursor('m', ['-1']) }))).toBe('BAD_USER_INPUT');
  });

  it('hides a private channel from outsiders', async () => {
    const owner = await createUser(prisma());
    const outsider = await createUser(prisma());
    const privateChannel = await createChannel(prisma(), { visibility: 'PRIVATE', members: [owner] });
    expect(codeOf(await page({}, outsider, privateChannel))).toBe('NOT_FOUND');
    expect(codeOf(await page({}, owner, privateChannel))).toBeUndefined();
  });
});
