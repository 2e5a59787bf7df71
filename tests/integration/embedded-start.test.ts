import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { signClientToken } from '@commons/shared';
import { gatewayClient } from '../testkit/stack';

// `npm start` from nothing: no DATABASE_URL, no REDIS_URL, an empty data folder.
const JWT_SECRET = 'embedded-test-jwt-secret-0123456789abcdef';
const ROOT = path.resolve(__dirname, '../..');

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'commons-embedded-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs the stack as `npm start` does and resolves with the gateway URL it prints. */
function startAll(): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, JWT_SECRET, GATEWAY_PORT: '0', MESSAGE_PORT: '0', CHANNEL_PORT: '0', BOARD_PORT: '0', LOG_LEVEL: 'warn', NODE_ENV: 'development' };
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start-all.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not print a URL in time:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Gateway ready at (\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1], output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}) before it was ready:\n${output}`)));
  });
}

function stop(child: ChildProcess): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve({ code, ms: Date.now() - started }));
    child.kill('SIGTERM');
  });
}

it('starts from nothing, serves chat with live events, stops on SIGTERM and keeps its data', async () => {
  const alice = { token: await signClientToken(JWT_SECRET, { id: 'alice', name: 'Alice', handle: 'alice' }) };

  const first = await startAll();
  const api = gatewayClient(first.url);
  const { createChannel } = await api.expectData(alice, `mutation { createChannel(input: { name: "general", kind: TEXT }) { id } }`);
  const sub = api.subscribe(api.connect(alice), `subscription($id: ID!) { messageAdded(channelId: $id) { body author { displayName } } }`, { id: createChannel.id });
  await new Promise((r) => setTimeout(r, 500));
  await api.expectData(alice, `mutation($id: ID!) { sendMessage(input: { channelId: $id, body: "kept" }) { id } }`, { id: createChannel.id });
  const [event] = await sub.next(1);
  expect(event.data!.messageAdded).toEqual({ body: 'kept', author: { displayName: 'Alice' } });
  await api.closeSockets();
  const stopped = await stop(first.child);
  expect(stopped.code).toBe(0);
  expect(stopped.ms).toBeLessThan(10_000);

  const second = await startAll();
  const again = gatewayClient(second.url);
  const data = await again.expectData(alice, `query($id: ID!) { channel(id: $id) { name messages(last: 5) { edges { node { body } } } } }`, { id: createChannel.id });
  expect(data.channel).toEqual({ name: 'general', messages: { edges: [{ node: { body: 'kept' } }] } });
  expect((await stop(second.child)).code).toBe(0);
}, 120_000);
