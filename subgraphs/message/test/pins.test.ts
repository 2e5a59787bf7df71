import { MAX_PINS_PER_CHANNEL } from '../src/domain/pins';
import { insertMessage } from '../src/domain/sendMessage';
import { codeOf, createChannel, createUser, startMessageSubgraph } from './helpers';

const PIN = `mutation ($id: ID!, $pinned: Boolean!) { pinMessage(id: $id, pinned: $pinned) { id pinned pinnedAt } }`;

let subgraph: Awaited<ReturnType<typeof startMessageSubgraph>>;
beforeAll(async () => {
  subgraph = await startMessageSubgraph('message_pins');
});
afterAll(() => subgraph.close());
const prisma = () => subgraph.deps.prisma;

describe('pins', () => {
  it(`keeps at most ${MAX_PINS_PER_CHANNEL} per channel, also under concurrent pins`, async () => {
    const owner = await createUser(prisma());
    const channelId = await createChannel(prisma(), { members: [owner], role: 'OWNER' });
    const ids: string[] = [];
    for (let i = 0; i < MAX_PINS_PER_CHANNEL + 5; i++) ids.push((await insertMessage(prisma(), { channelId, authorId: owner.id, body: `m${i}` })).id);
    const results = await Promise.all(ids.map((id) => subgraph.request(owner, PIN, { id, pinned: true })));
    expect(results.filter((r) => !r.errors)).toHaveLength(MAX_PINS_PER_CHANNEL);
    expect(results.filter((r) => codeOf(r) === 'CONFLICT')).toHaveLength(5);
    expect(await prisma().message.count({ where: { channelId, pinnedAt: { not: null } } })).toBe(MAX_PINS_PER_CHANNEL);
    // Unpinning one makes room again; pinning a pinned message is a no-op that keeps its time.
    const pinned = results.find((r) => !r.errors)!.data.pinMessage;
    await subgraph.expectData(owner, PIN, { id: pinned.id, pinned: false });
    const unpinnedBefore = ids.find((id) => results[ids.indexOf(id)].errors)!;
    await subgraph.expectData(owner, PIN, { id: unpinnedBefore, pinned: true });
    const other = results.find((r) => !r.errors && r.data.pinMessage.id !== pinned.id)!.data.pinMessage;
    expect((await subgraph.expectData(owner, PIN, { id: other.id, pinned: true })).pinMessage.pinnedAt).toBe(other.pinnedAt);
  });
});
