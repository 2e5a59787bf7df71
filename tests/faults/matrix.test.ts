import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SUBGRAPH_NAMES } from '@commons/gateway/src/subgraphs';
import { person, startStack, type Stack } from '../testkit/stack';
import { startFaultProxy, type Fault } from '../testkit/fault-proxy';

/**
 * The subgraph-failure matrix: each subgraph in turn down, frozen, 3 s slow and answering 500s,
 * behind a fault proxy, while a client asks for a page touching every subgraph. A cell is
 * graceful when every answer comes back (HTTP 200, JSON) within the deadline of each sequential
 * fetch, its errors are generic (no URL, no stack), and the healthy subgraphs' parts are there.
 */
const TIMEOUT_MS = 5000; // the gateway's default SUBGRAPH_TIMEOUT_MS
const REQUESTS = 20;
const FAULTS: Fault[] = ['down', 'frozen', 'slow', 'errors'];
/**
 * The page's plan reaches a subgraph at most twice in sequence (the channel subgraph: the roots,
 * then the authors), each fetch bounded by the deadline; the margin is for a loaded 2-core machine.
 */
const BOUND_MS = 2 * TIMEOUT_MS + 2000;

let stack: Stack;
const proxies: Record<string, Awaited<ReturnType<typeof startFaultProxy>>> = {};

beforeAll(async () => {
  stack = await startStack('matrix');
  for (const name of SUBGRAPH_NAMES) proxies[name] = await startFaultProxy(stack.subgraphUrls[name], 3000);
});
afterAll(async () => {
  for (const p of Object.values(proxies)) await p.close();
  await stack.close();
});

/** Which alias of the page each subgraph serves (the channel subgraph serves the roots). */
const PARTS: Record<string, string> = { channel: 'me', message: 'text', board: 'forum', voice: 'voice' };
const PAGE = `query Page($text: ID!, $forum: ID!, $voice: ID!) {
  me { displayName }
  text: channel(id: $text) { name messages(last: 5) { edges { node { body author { displayName } } } } }
  forum: channel(id: $forum) { threads(first: 5) { edges { node { title } } } }
  voice: channel(id: $voice) { voiceParticipants { id user { displayName } } }
}`;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
};

it('answers gracefully whichever subgraph fails, however it fails', async () => {
  const alice = await person('Alice');
  const create = async (kind: string) =>
    (await stack.expectData(alice, `mutation($k: ChannelKind!) { createChannel(input: { name: "m-${kind}", kind: $k }) { id } }`, { k: kind })).createChannel.id;
  const ids = { text: await create('TEXT'), forum: await create('FORUM'), voice: await create('VOICE') };
  await stack.expectData(alice, `mutation($id: ID!) { sendMessage(input: { channelId: $id, body: "hi" }) { id } }`, { id: ids.text });
  await stack.expectData(alice, `mutation($id: ID!) { createThread(input: { channelId: $id, title: "t", body: "b" }) { id } }`, { id: ids.forum });
  await stack.expectData(alice, `mutation($id: ID!) { joinVoice(channelId: $id) { participant { id } } }`, { id: ids.voice });

  const gateway = await stack.startGateway(
    { SUBGRAPH_TIMEOUT_MS: String(TIMEOUT_MS) },
    Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, proxies[n].url])),
  );
  const healthy = await gateway.client.expectData(alice, PAGE, ids);
  expect(Object.values(healthy).every((v) => v !== null)).toBe(true);

  const rows: Array<{ subgraph: string; fault: Fault; graceful: boolean; p50: number; p99: number; why: string }> = [];
  for (const subgraph of SUBGRAPH_NAMES) {
    for (const fault of FAULTS) {
      proxies[subgraph].set(fault);
      const results = await Promise.all(
        Array.from({ length: REQUESTS }, async () => {
          const started = Date.now();
          const res = await gateway.client.request(alice, PAGE, ids).catch((err: Error) => ({ status: 0, errors: [{ message: err.message }], data: undefined }));
          return { res, ms: Date.now() - started };
        }),
      );
      proxies[subgraph].set('none');
      const problems = new Set<string>();
      for (const { res, ms } of results) {
        if (res.status !== 200) problems.add(`HTTP ${res.status}`);
        if (ms > BOUND_MS) problems.add(`answered in ${ms} ms`);
        const text = JSON.stringify(res.errors ?? []);
        if (/https?:|127\.0\.0\.1|\bat \S+\.(t|j)s/.test(text)) problems.add('an error leaks a URL or stack');
        for (const [owner, part] of Object.entries(PARTS)) {
          // The channel subgraph resolves every root, so its failure takes the whole page.
          if (owner === subgraph || subgraph === 'channel') continue;
          if (!(res.data as Record<string, unknown> | undefined)?.[part]) problems.add(`lost ${part} (served by ${owner})`);
        }
        if (fault === 'slow' && (res.errors?.length ?? 0) > 0) problems.add(`errors although slow is within the deadline: ${res.errors![0].message}`);
      }
      const latencies = results.map((r) => r.ms);
      rows.push({ subgraph, fault, graceful: problems.size === 0, p50: percentile(latencies, 50), p99: percentile(latencies, 99), why: [...problems].join('; ') });
    }
  }

  await writeMatrix(rows);
  console.table(rows);
  expect(rows.filter((r) => !r.graceful)).toEqual([]);
}, 300_000);

/** Rewrites the matrix section of docs/RELIABILITY.md with this run's figures. */
async function writeMatrix(rows: Array<{ subgraph: string; fault: Fault; graceful: boolean; p50: number; p99: number; why: string }>) {
  const file = path.resolve(__dirname, '../../docs/RELIABILITY.md');
  const table = [
    `Last run: ${new Date().toISOString()}, \`npm run test:faults\`, ${REQUESTS} concurrent requests a cell, gateway deadline ${TIMEOUT_MS} ms a fetch, slow = 3000 ms a fetch, bound ${BOUND_MS} ms a request.`,
    '',
    '| subgraph | fault | graceful | p50 ms | p99 ms | notes |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.subgraph} | ${r.fault} | ${r.graceful ? 'yes' : '**no**'} | ${r.p50} | ${r.p99} | ${r.why || '-'} |`),
  ].join('\n');
  await mkdir(path.dirname(file), { recursive: true });
  const current = await readFile(file, 'utf8').catch(() => '<!-- matrix:start -->\n<!-- matrix:end -->\n');
  const next = current.replace(/<!-- matrix:start -->[\s\S]*<!-- matrix:end -->/, `<!-- matrix:start -->\n${table}\n<!-- matrix:end -->`);
  await writeFile(file, next);
}
