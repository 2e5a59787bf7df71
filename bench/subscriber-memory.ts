// Heap per live subscriber with and without an admission (a shared pipeline vs a per-caller one),
// the gateway and the subgraphs in one process on the test stack, subscriptions multiplexed on 20
// sockets so that socket cost stays out: `node --expose-gc --import tsx bench/subscriber-memory.ts`
// (N=2000 by default). Needs the test Postgres and Redis. A measurement aid, not part of `npm run bench`.
// The gateway's share alone: subscriber-memory-gateway.ts (subgraphs and clients in a child process).
import { person, startStack } from '../tests/testkit/stack';

const N = Number(process.env.N ?? 2000);
async function main() {
  const stack = await startStack('s3mem', { env: { MAX_SUBSCRIPTIONS_PER_USER: '100000', MAX_SOCKETS_PER_USER: '1000' } });
  const owner = await person('Owner');
  const { createChannel } = await stack.expectData(owner, `mutation { createChannel(input: { name: "idle", kind: TEXT }) { id } }`);
  const shared = `subscription($id: ID!) { messageAdded(channelId: $id) { id body author { displayName } } }`;
  const perViewer = `subscription($id: ID!) { messageAdded(channelId: $id) { id body author { displayName } channel { viewerMembership { role } } } }`;
  const gc = () => { (global as any).gc(); (global as any).gc(); };
  for (const [label, query] of [['shared+admission', shared], ['per-viewer (no admission)', perViewer]] as const) {
    const sockets = Array.from({ length: 20 }, () => stack.connect(owner));
    // Open the sockets first, so that only the subscriptions are measured.
    const warm = sockets.map((s) => stack.subscribe(s, shared, { id: createChannel.id }));
    await new Promise((r) => setTimeout(r, 1500));
    warm.forEach((w) => w.unsubscribe());
    await new Promise((r) => setTimeout(r, 1500));
    gc();
    const before = process.memoryUsage().heapUsed;
    const subs = Array.from({ length: N }, (_, i) => stack.subscribe(sockets[i % sockets.length], query, { id: createChannel.id }));
    const deadline = Date.now() + 30000;
    while ((stack.gateway.hub.stats.subscribers < N || stack.gateway.hub.stats.admitting > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 1000));
    gc();
    const after = process.memoryUsage().heapUsed;
    console.log(label, JSON.stringify(stack.gateway.hub.stats), ((after - before) / 1024 / N).toFixed(2), 'KB heap per subscription (gateway + subgraphs, one process)');
    subs.forEach((s) => s.unsubscribe());
    await new Promise((r) => setTimeout(r, 2000));
    await Promise.all(sockets.map((s) => s.dispose()));
  }
  await stack.close();
  process.exit(0);
}
main();
