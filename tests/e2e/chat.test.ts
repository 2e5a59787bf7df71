// The web client end to end: the real stack (subgraphs and gateway over real Postgres and
// Redis), the built app in headless Chromium (Debian's), two people in two browser contexts.
// Screenshots go to test-artifacts/e2e/.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { person, startStack, type Stack } from '../testkit/stack';
import { buildWebApp, serveStatic } from './web-app';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(__dirname, '..', '..', 'test-artifacts', 'e2e');
// As root, in a sandbox without internet: no Chromium sandbox, and no background traffic.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let stack: Stack;
let web: { url: string; close(): Promise<void> };
let browser: Browser;
const contexts: BrowserContext[] = [];
const pages: { name: string; page: Page }[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}: install Debian's (apt-get install -y chromium) or set CHROMIUM_PATH.`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const [started, served, launched] = await Promise.all([
    // The history below is sent in one burst, past the default send rate limit.
    startStack('e2e-web', { env: { SEND_RATE_BURST: '200' } }),
    serveStatic(buildWebApp()),
    chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS }),
  ]);
  [stack, web, browser] = [started, served, launched];
}, 120_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await web?.close();
  await stack?.closeSockets();
  await stack?.close();
});

/** A browser context signed in as `who` (at `hash`), collecting page errors and GraphQL errors. */
async function openAs(who: { token: string }, name: string, hash = '') {
  const context = await browser.newContext({ viewport: { width: 1200, height: 760 } });
  contexts.push(context);
  const page = await context.newPage();
  pages.push({ name, page });
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`${name} page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`${name} console: ${m.text()}`));
  // GraphQL errors, with the operation that got them.
  page.on('response', async (res) => {
    if (!res.url().startsWith(stack.url) || res.request().method() !== 'POST') return;
    const body = await res.text().catch(() => '');
    if (res.status() >= 400 || body.includes('"errors"')) problems.push(`${name} ${res.status()} ${res.request().postData()} -> ${body}`);
  });
  const url = new URL(web.url);
  url.searchParams.set('token', who.token);
  url.searchParams.set('gateway', stack.url);
  url.hash = hash;
  await page.goto(url.toString());
  return { page, problems, shot: (file: string) => page.screenshot({ path: path.join(ARTIFACTS, file) }) };
}

const messageList = (page: Page) => page.getByTestId('message-list');
const message = (page: Page, body: string) =>
  messageList(page).getByTestId('message').filter({ has: page.getByText(body, { exact: true }) });

const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }`;
const CREATE = `mutation($input: CreateChannelInput!) { createChannel(input: $input) { id } }`;
const JOIN = `mutation($id: ID!) { joinChannel(channelId: $id) { role } }`;

/** Runs a browser test; when it fails, screenshots every page as it was (`failed-<name>.png`). */
const withScreensOnFailure = (body: () => Promise<void>) => async () => {
  try {
    await body();
  } catch (err) {
    for (const { name, page } of pages) await page.screenshot({ path: path.join(ARTIFACTS, `failed-${name}.png`) }).catch(() => {});
    throw err;
  }
};

it('two people chat live: history paged backwards, messages, typing and reactions', withScreensOnFailure(async () => {
  const alice = await person('Alice');
  const bob = await person('Bob');
  const name = `e2e-${Math.random().toString(36).slice(2, 7)}`;

  // Alice signs in and creates a channel; the app opens it.
  const a = await openAs(alice, 'alice');
  await expectVisible(a.page.getByTestId('me').filter({ hasText: 'Alice' }));
  await a.page.getByLabel('New channel name').fill(name);
  await a.page.getByRole('button', { name: 'Create' }).click();
  await expectVisible(a.page.getByTestId('channel-view').getByRole('heading', { name }));
  const channelId = decodeURIComponent(new URL(a.page.url()).hash.replace('#/channel/', ''));
  expect(channelId).toMatch(/\S/);

  // History: 60 messages, more than a page (50); Alice's open channel gets them live.
  for (let i = 1; i <= 60; i++) {
    await stack.expectData(alice, SEND, { input: { channelId, body: `history ${i}`, clientId: `seed-${i}` } });
  }
  await expectVisible(message(a.page, 'history 60'));

  // Bob signs in, finds the channel under Discover, joins it, and sees the latest page.
  const b = await openAs(bob, 'bob');
  const discover = b.page.getByTestId('discover-channels');
  await b.page.getByRole('button', { name: `Join ${name}` }).click();
  await expectVisible(b.page.getByTestId('joined-channels').getByText(name));
  await expectVisible(message(b.page, 'history 60'));
  expect(await discover.getByText(name).count()).toBe(0);
  expect(await message(b.page, 'history 1').count()).toBe(0);
  expect(await messageList(b.page).getByTestId('message').count()).toBe(50);
  await b.shot('bob-latest-page.png');

  // Scrolling to the top loads the older messages, down to the first.
  await messageList(b.page).evaluate((el) => el.scrollTo({ top: 0 }));
  await expectVisible(message(b.page, 'history 1'));
  await expectVisible(b.page.getByText('The beginning of this channel.'));
  expect(await messageList(b.page).getByTestId('message').count()).toBe(60);
  await messageList(b.page).evaluate((el) => el.scrollTo({ top: 0 }));
  await b.shot('bob-history-top.png');

  // Alice sends from the composer; Bob sees it live, once; so does Alice, confirmed.
  await a.page.getByLabel('Message').fill('Hello Bob, this is live!');
  await a.page.getByLabel('Message').press('Enter');
  await expectVisible(message(b.page, 'Hello Bob, this is live!'));
  await expectVisible(message(a.page, 'Hello Bob, this is live!'));
  await expectCount(a.page.getByTestId('pending-message'), 0);

  // Bob starts a reply: Alice sees him typing, until his message arrives.
  await b.page.getByLabel('Message').fill('Hi Alice! Got it.');
  await expectVisible(a.page.getByTestId('typing').getByText('Bob is typing…'));
  await a.shot('alice-sees-typing.png');
  await b.page.getByRole('button', { name: 'Send' }).click();
  await expectVisible(message(a.page, 'Hi Alice! Got it.'));
  await expectCount(a.page.getByTestId('typing').getByText('Bob is typing…'), 0);
  for (const page of [a.page, b.page]) {
    for (const body of ['Hello Bob, this is live!', 'Hi Alice! Got it.']) expect(await message(page, body).count()).toBe(1);
  }

  // Alice reacts to Bob's reply; Bob sees it live, and adds his own.
  const replyFor = (page: Page) => message(page, 'Hi Alice! Got it.');
  await replyFor(a.page).hover();
  await replyFor(a.page).getByRole('button', { name: 'Add reaction' }).click();
  await replyFor(a.page).getByRole('menuitem', { name: 'React with 👍' }).click();
  await expectVisible(replyFor(a.page).getByRole('button', { name: '👍 1', pressed: true }));
  await expectVisible(replyFor(b.page).getByRole('button', { name: '👍 1', pressed: false }));
  await replyFor(b.page).getByRole('button', { name: '👍 1' }).click();
  await expectVisible(replyFor(b.page).getByRole('button', { name: '👍 2', pressed: true }));
  await expectVisible(replyFor(a.page).getByRole('button', { name: '👍 2', pressed: true }));

  await a.shot('alice-live.png');
  await b.shot('bob-live.png');
  expect([...a.problems, ...b.problems]).toEqual([]);
}), 90_000);

it('catches up after the message subgraph restarts under an open channel', withScreensOnFailure(async () => {
  const alice = await person('Alice');
  const bob = await person('Bob');
  const { createChannel } = await stack.expectData(alice, CREATE, { input: { name: `restart-${Math.random().toString(36).slice(2, 7)}`, kind: 'TEXT' } });
  const channelId: string = createChannel.id;
  await stack.expectData(bob, JOIN, { id: channelId });
  await stack.expectData(alice, SEND, { input: { channelId, body: 'before the restart' } });

  const b = await openAs(bob, 'bob-restart', `#/channel/${channelId}`);
  await expectVisible(message(b.page, 'before the restart'));
  await expectVisible(b.page.getByTestId('socket-state').getByText('live'));

  // The gateway ends Bob's subscription (UNAVAILABLE); what is sent before he is back comes
  // as the replay after his newest cursor, then live messages follow.
  await stack.restartSubgraph('message');
  await stack.expectData(alice, SEND, { input: { channelId, body: 'while Bob was away' } });
  await expectVisible(message(b.page, 'while Bob was away'));
  await stack.expectData(alice, SEND, { input: { channelId, body: 'after the restart' } });
  await expectVisible(message(b.page, 'after the restart'));
  const bodies = await messageList(b.page).getByTestId('message').locator('.body').allInnerTexts();
  expect(bodies.map((t) => t.trim())).toEqual(['before the restart', 'while Bob was away', 'after the restart']);
  await b.shot('bob-after-restart.png');
  expect(b.problems).toEqual([]);
}), 60_000);

async function expectVisible(locator: ReturnType<Page['getByTestId']>, timeout = 10_000) {
  await locator.first().waitFor({ state: 'visible', timeout });
}

async function expectCount(locator: ReturnType<Page['getByTestId']>, n: number, timeout = 10_000) {
  const deadline = Date.now() + timeout;
  while ((await locator.count()) !== n) {
    if (Date.now() > deadline) throw new Error(`Expected ${n} of ${locator}, found ${await locator.count()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
