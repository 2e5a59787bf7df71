import { writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from 'graphql-ws';
import { person, startStack, type Stack } from '../testkit/stack';
import { startRedisServer } from '../testkit/redis-server';

/**
 * Jepsen's set workload, for chat: writers add messages with unique clientIds at a fixed rate
 * while the test kills Redis pub/sub connections, crashes and restarts Redis, and restarts the
 * message subgraph. Subscribers resubscribe with `after:` whenever their stream ends; at the
 * end each catches up the same way. Every acknowledged message must be received exactly once,
 * in the channel's order.
 */
const CHANNELS = 3;
const RATE_PER_CHANNEL = 10; // messages per second
const WRITE_MS = 14_000;

let redis: Awaited<ReturnType<typeof startRedisServer>>;
let stack: Stack;

beforeAll(async () => {
  redis = await startRedisServer();
  stack = await startStack('nothinglost', { redisUrl: redis.url, env: { SEND_RATE_BURST: '1000', SEND_RATE_PER_SECOND: '1000' } });
});
afterAll(async () => {
  await stack?.closeSockets();
  await stack?.close();
  await redis?.kill();
});

const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { id clientId cursor } }`;
const LIVE = `subscription($id: ID!, $after: String) { messageAdded(channelId: $id, after: $after) { clientId cursor } }`;
const seqOf = (cursor: string) => Number(JSON.parse(Buffer.from(cursor, 'base64url').toString())[1]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A subscriber that resubscribes from its last cursor whenever its stream ends. Only one
 * subscription is ever live (each has a generation; a stale one's events and endings are
 * ignored), as in a real client, so any duplicate or disorder it records is the server's.
 */
function follower(socket: () => Client, channelId: string) {
  const received: string[] = [];
  const seqs: number[] = [];
  let lastCursor: string | undefined;
  let resubscribes = 0;
  let stopped = false;
  let generation = 0;
  let unsubscribe = () => {};
  const subscribeFrom = () => {
    if (stopped) return;
    unsubscribe();
    const mine = ++generation;
    unsubscribe = socket().subscribe(
      { query: LIVE, variables: { id: channelId, after: lastCursor ?? null } },
      {
        next: (r: any) => {
          const m = r.data?.messageAdded;
          if (!m || mine !== generation) return;
          received.push(m.clientId);
          seqs.push(seqOf(m.cursor));
          lastCursor = m.cursor;
        },
        error: () => void again(mine),
        complete: () => void again(mine),
      },
    );
  };
  const again = async (ended: number) => {
    if (stopped || ended !== generation) return;
    resubscribes++;
    await sleep(250);
    if (ended === generation) subscribeFrom();
  };
  return {
    received,
    seqs,
    get resubscribes() {
      return resubscribes;
    },
    start: subscribeFrom,
    /** Ends the live stream and catches up once more from the last cursor, as a reconnecting client does. */
    async catchUp(expected: number) {
      subscribeFrom();
      for (let i = 0; i < 100 && received.length < expected; i++) await sleep(100);
      await sleep(300);
      stopped = true;
      generation++;
      unsubscribe();
    },
  };
}

it('loses and duplicates nothing acknowledged, through pub/sub kills, a Redis crash and a subgraph restart', async () => {
  const alice = await person('Writer');
  const channels: string[] = [];
  for (let i = 0; i < CHANNELS; i++) {
    channels.push((await stack.expectData(alice, `mutation { createChannel(input: { name: "set-${i}", kind: TEXT }) { id } }`)).createChannel.id);
  }
  let client = stack.connect(alice);
  const socket = () => client;
  const followers = channels.map((id) => follower(socket, id));
  followers.forEach((f) => f.start());
  await sleep(500);

  const acknowledged = channels.map(() => new Set<string>());
  let attempts = 0;
  let failedAttempts = 0;
  const failures: Record<string, number> = {};
  /** Sends until acknowledged, always with the same clientId: idempotency makes retries safe. */
  const send = async (c: number, clientId: string) => {
    for (let tries = 0; tries < 50; tries++) {
      attempts++;
      const res = await stack.request(alice, SEND, { input: { channelId: channels[c], body: clientId, clientId } }).catch(() => undefined);
      if (res?.data?.sendMessage?.clientId === clientId) {
        acknowledged[c].add(clientId);
        return;
      }
      failedAttempts++;
      const code = String(res?.errors?.[0]?.extensions?.code ?? res?.status ?? 'network');
      failures[code] = (failures[code] ?? 0) + 1;
      await sleep(200);
    }
  };

  const faults: string[] = [];
  const timeline = (async () => {
    await sleep(2000);
    faults.push(`killed ${await redis.killPubSubClients()} pub/sub connections`);
    await sleep(2500);
    await redis.kill();
    faults.push('crashed Redis');
    await sleep(2000);
    await redis.start();
    faults.push('restarted Redis');
    await sleep(2500);
    await stack.restartSubgraph('message');
    faults.push('restarted the message subgraph');
    // Sockets to the gateway survive; the gateway ends the affected streams and clients resubscribe.
  })();

  const writes: Promise<void>[] = [];
  let launched = 0;
  const started = Date.now();
  for (let n = 0; Date.now() - started < WRITE_MS; n++) {
    for (let c = 0; c < CHANNELS; c++, launched++) writes.push(send(c, `c${c}-m${n}`));
    await sleep(1000 / RATE_PER_CHANNEL);
  }
  await Promise.all(writes);
  await timeline;

  // A fresh connection, as a client whose socket died would make.
  client = stack.connect(alice);
  await Promise.all(followers.map((f, c) => f.catchUp(acknowledged[c].size)));

  const report = channels.map((_, c) => {
    const f = followers[c];
    const received = new Set(f.received);
    return {
      acknowledged: acknowledged[c].size,
      received: received.size,
      lost: [...acknowledged[c]].filter((id) => !received.has(id)).length,
      duplicates: f.received.length - received.size,
      outOfOrder: f.seqs.filter((s, i) => i > 0 && s <= f.seqs[i - 1]).length,
      resubscribes: f.resubscribes,
    };
  });
  const totals = {
    launched,
    acknowledged: report.reduce((a, r) => a + r.acknowledged, 0),
    lost: report.reduce((a, r) => a + r.lost, 0),
    duplicates: report.reduce((a, r) => a + r.duplicates, 0),
    outOfOrder: report.reduce((a, r) => a + r.outOfOrder, 0),
    sendAttempts: attempts,
    failedSendAttempts: failedAttempts,
    failuresByCode: failures,
    faults,
  };
  const dir = path.resolve(__dirname, '../../test-artifacts');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'nothing-lost.json'), JSON.stringify({ at: new Date().toISOString(), totals, channels: report }, null, 2));
  console.log(JSON.stringify(totals));

  expect(faults).toHaveLength(4);
  // Every write was retried (same clientId) until acknowledged; a loaded machine launches fewer.
  expect(totals.acknowledged).toBe(launched);
  expect(launched).toBeGreaterThan(100);
  for (const r of report) {
    expect(r).toMatchObject({ lost: 0, duplicates: 0, outOfOrder: 0 });
    expect(r.received).toBe(r.acknowledged);
  }
}, 90_000);
