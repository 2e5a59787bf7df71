import type { Viewer } from '@commons/shared';
import { MAX_EMOJI_PER_MESSAGE, parseEmoji } from '../src/domain/reactions';
import { insertMessage } from '../src/domain/sendMessage';
import { codeOf, createChannel, createUser, startMessageSubgraph } from './helpers';

describe('parseEmoji', () => {
  it.each([
    ['a plain emoji', '👍'],
    ['a skin-tone sequence', '👍🏽'],
    ['a flag', '🇫🇷'],
    ['a ZWJ family', '👨‍👩‍👧'],
    ['a keycap', '1️⃣'],
    ['a heart with its variation selector', '❤️'],
    ['a short name', ':party_parrot:'],
    ['a short name with + and -', ':+1:'],
    ['a 64-character short name', `:${'x'.repeat(62)}:`],
  ])('accepts %s', (_what, emoji) => {
    expect(parseEmoji(emoji)).toBe(emoji);
  });

  it.each([
    ['empty', ''],
    ['two emoji', '👍👍'],
    ['a word', 'ok'],
    ['a space', ' '],
    ['an invisible joiner', '\u200d'],
    ['a 65-character short name', `:${'x'.repeat(63)}:`],
    ['a short name without its closing colon', ':smile'],
    ['a short name with a space', ':big smile:'],
    ['one grapheme stacked past 64 units', `a${'\u0301'.repeat(70)}`],
  ])('rejects %s with BAD_USER_INPUT', (_what, emoji) => {
    expect(() => parseEmoji(emoji)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'emoji' }) }));
  });

  it('normalizes to NFC, so one symbol typed two ways is one emoji', () => {
    expect(parseEmoji('e\u0301')).toBe('\u00e9');
  });
});

describe('reactions in the subgraph', () => {
  let subgraph: Awaited<ReturnType<typeof startMessageSubgraph>>;
  beforeAll(async () => {
    subgraph = await startMessageSubgraph('message_reactions');
  });
  afterAll(() => subgraph.close());
  const prisma = () => subgraph.deps.prisma;

  const ADD = `mutation ($id: ID!, $emoji: String!) { addReaction(messageId: $id, emoji: $emoji) { id reactions { emoji count viewerHasReacted } } }`;
  const emojiOf = (i: number) => `:e${i}:`;

  it(`lets exactly ${MAX_EMOJI_PER_MESSAGE} of 25 concurrent new emoji in, and CONFLICTs the rest`, async () => {
    const users: Viewer[] = [];
    for (let i = 0; i < 25; i++) users.push(await createUser(prisma()));
    const channelId = await createChannel(prisma(), { members: users });
    const message = await insertMessage(prisma(), { channelId, authorId: users[0].id, body: 'react to me' });
    const results = await Promise.all(users.map((u, i) => subgraph.request(u, ADD, { id: message.id, emoji: emojiOf(i) })));
    const codes = results.map((r) => codeOf(r) ?? 'OK');
    expect(codes.filter((c) => c === 'OK')).toHaveLength(MAX_EMOJI_PER_MESSAGE);
    expect(codes.filter((c) => c === 'CONFLICT')).toHaveLength(25 - MAX_EMOJI_PER_MESSAGE);
    const distinct = await prisma().reaction.findMany({ where: { messageId: message.id }, distinct: ['emoji'] });
    expect(distinct).toHaveLength(MAX_EMOJI_PER_MESSAGE);
    // A full message still takes more of an emoji it already has.
    const existing = distinct[0].emoji;
    const late = users.find((u) => !results[users.indexOf(u)].errors && emojiOf(users.indexOf(u)) !== existing)!;
    const data = await subgraph.expectData(late, ADD, { id: message.id, emoji: existing });
    expect(data.addReaction.reactions.find((r: { emoji: string }) => r.emoji === existing)).toMatchObject({ count: 2, viewerHasReacted: true });
  });

  it('reads a page of 50 messages with reactions and edits in a bounded number of queries', async () => {
    const [alice, bob] = [await createUser(prisma()), await createUser(prisma())];
    const channelId = await createChannel(prisma(), { members: [alice, bob] });
    for (let i = 0; i < 50; i++) {
      const m = await insertMessage(prisma(), { channelId, authorId: alice.id, body: `m${i}` });
      // First use decides the order (not the emoji's code point: 🎉 sorts before 👍).
      const at = Date.now();
      await prisma().reaction.createMany({
        data: [
          { messageId: m.id, userId: bob.id, emoji: '👍', createdAt: new Date(at) },
          { messageId: m.id, userId: alice.id, emoji: '🎉', createdAt: new Date(at + 1) },
        ],
      });
      await prisma().messageEdit.create({ data: { messageId: m.id, body: `before m${i}`, editedAt: new Date() } });
    }
    const PAGE = `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Channel {
      messages(first: 50) { edges { node { id reactions { emoji count viewerHasReacted } edits { body } replyTo { id } } } } } } }`;
    subgraph.queries.count = 0;
    const data = await subgraph.expectData(bob, PAGE, { representations: [{ __typename: 'Channel', id: channelId }] });
    const edges = data._entities[0].messages.edges;
    expect(edges).toHaveLength(50);
    expect(edges[7].node.reactions).toEqual([
      { emoji: '👍', count: 1, viewerHasReacted: true },
      { emoji: '🎉', count: 1, viewerHasReacted: false },
    ]);
    expect(edges[7].node.edits).toEqual([{ body: 'before m7' }]);
    // Channel access with the membership, the page, reaction counts, the viewer's reactions, edits.
    expect(subgraph.queries.count).toBeLessThanOrEqual(5);
  });
});
