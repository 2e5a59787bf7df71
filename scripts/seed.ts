// `npm run seed [-- --messages 3000 --threads 40 --users 20 --seed 1 --force]`: fills the database with
// a realistic community, so Apollo Sandbox and the web client have something to show: ~20 users;
// text, voice and forum channels (public and private, one archived) with memberships and roles;
// a few thousand messages with replies, reactions, edits, deletions, pins and read markers; forum
// threads with posts. Prints a summary and a token for one seeded user.
//
// Where: DATABASE_URL, or without it the embedded database in DATA_DIR (as `npm start` runs it).
// PGlite serves one process at a time: stop `npm start` before seeding the embedded database
// (the seed refuses while the data folder is in use), then start it again.
//
// Idempotent: the community is a pure function of --seed (a seeded PRNG; only the timestamps
// follow the clock, ending at the time of seeding). It is written in one transaction, and a
// second run with the same --seed finds it there and writes nothing. A different --seed adds
// another community beside it (users are shared: existing users are left as they are).
//
// It writes rows directly with Prisma, keeping what the subgraphs rely on: per-channel message
// `seq` from 1 without holes and `channel_message_counters.last_seq` = the last one; replies in
// the same channel; authors, reactors and readers are members; `Channel.memberCount` = its
// memberships; one OWNER per channel; `Thread.postCount` = its posts, `Post.seq` 1..postCount,
// `lastActivityAt` = the newest post's time; deleted messages carry no body, edits, reactions or
// pin; pins by an OWNER or ADMIN; nothing in an archived channel after it was archived. Only new
// channels are written, so no cached page or live subscriber of an existing channel is affected.
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createPrisma, loadConfig, signClientToken, type Prisma, type PrismaClient } from '@commons/shared';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '@commons/shared/src/db/embedded';
import { ensureDatabase, migrate } from '@commons/shared/src/db/migrate';

export interface SeedOptions {
  /** How many people (at most 24). */
  users?: number;
  /** Messages across the text channels, about. */
  messages?: number;
  /** Threads across the forum channels, about. */
  threads?: number;
  /** The PRNG seed: the same seed makes the same community (and a second run a no-op). */
  seed?: number;
  /** The end of the history (default: now); it starts `days` before. */
  now?: Date;
  days?: number;
}

export interface SeedSummary {
  /** False when this seed's community was already there (nothing was written). */
  created: boolean;
  seed: number;
  users: number;
  channels: { total: number; text: number; voice: number; forum: number; private: number; archived: number };
  memberships: number;
  messages: number;
  replies: number;
  reactions: number;
  edits: number;
  deletedMessages: number;
  pins: number;
  readMarkers: number;
  threads: number;
  posts: number;
  /** The seeded channels' ids, by name. */
  channelIds: Record<string, string>;
  /** A user who is a member of every seeded channel (OWNER of several): the one to sign in as. */
  viewer: { id: string; name: string; handle: string };
}

export const DEFAULT_SEED_OPTIONS = { users: 20, messages: 3000, threads: 40, seed: 1, days: 30 } as const;

// ---------------------------------------------------------------- the cast and the places

const PEOPLE: Array<[id: string, name: string]> = [
  ['alice', 'Alice Liddell'],
  ['bob', 'Bob Tanaka'],
  ['carol', 'Carol Nguyen'],
  ['dave', 'Dave Okafor'],
  ['erin', 'Erin Kowalski'],
  ['frank', 'Frank Moreau'],
  ['grace', 'Grace Park'],
  ['heidi', 'Heidi Schmidt'],
  ['ivan', 'Ivan Petrov'],
  ['judy', 'Judy Alvarez'],
  ['mallory', 'Mallory Quinn'],
  ['niaj', 'Niaj Rahman'],
  ['olivia', 'Olivia Brown'],
  ['peggy', 'Peggy Santos'],
  ['rupert', 'Rupert Hale'],
  ['sybil', 'Sybil Laurent'],
  ['trent', 'Trent Walker'],
  ['uma', 'Uma Iyer'],
  ['victor', 'Victor Lindqvist'],
  ['wendy', 'Wendy Zhao'],
  ['xavier', 'Xavier Dubois'],
  ['yara', 'Yara Haddad'],
  ['zoe', 'Zoë Fischer'],
  ['mateo', 'Mateo García'],
];

type Flavor = 'general' | 'random' | 'engineering' | 'deploys' | 'design' | 'help' | 'leadership' | 'incidents' | 'announcements';

interface ChannelSpec {
  name: string;
  kind: 'TEXT' | 'VOICE' | 'FORUM';
  visibility: 'PUBLIC' | 'PRIVATE';
  topic: string;
  /** Public: the share of people who joined. Private: how many people are in it. */
  members: number;
  /** Share of the messages (TEXT) or threads (FORUM). */
  weight: number;
  flavor?: Flavor;
  archived?: boolean;
}

const CHANNELS: ChannelSpec[] = [
  { name: 'general', kind: 'TEXT', visibility: 'PUBLIC', topic: 'Company-wide chatter. Be kind.', members: 1, weight: 28, flavor: 'general' },
  { name: 'random', kind: 'TEXT', visibility: 'PUBLIC', topic: 'Lunch, pets, links, anything', members: 0.8, weight: 16, flavor: 'random' },
  { name: 'engineering', kind: 'TEXT', visibility: 'PUBLIC', topic: 'Architecture, code review, the graph', members: 0.65, weight: 20, flavor: 'engineering' },
  { name: 'deploys', kind: 'TEXT', visibility: 'PUBLIC', topic: 'The release train: what ships when', members: 0.5, weight: 10, flavor: 'deploys' },
  { name: 'design', kind: 'TEXT', visibility: 'PUBLIC', topic: 'Mockups, critiques and the design system', members: 0.4, weight: 7, flavor: 'design' },
  { name: 'help', kind: 'TEXT', visibility: 'PUBLIC', topic: 'Ask anything; no question too small', members: 0.75, weight: 8, flavor: 'help' },
  { name: 'leadership', kind: 'TEXT', visibility: 'PRIVATE', topic: 'Planning and hiring (private)', members: 5, weight: 5, flavor: 'leadership' },
  { name: 'incident-review', kind: 'TEXT', visibility: 'PRIVATE', topic: 'Postmortems in progress', members: 6, weight: 4, flavor: 'incidents' },
  { name: 'announcements-2025', kind: 'TEXT', visibility: 'PUBLIC', topic: 'Last year’s announcements (archived)', members: 0.9, weight: 2, flavor: 'announcements', archived: true },
  { name: 'lounge', kind: 'VOICE', visibility: 'PUBLIC', topic: 'Drop in and say hi', members: 0.8, weight: 0 },
  { name: 'standup', kind: 'VOICE', visibility: 'PUBLIC', topic: 'Daily standup, 9:30', members: 0.6, weight: 0 },
  { name: 'war-room', kind: 'VOICE', visibility: 'PRIVATE', topic: 'For incidents only', members: 5, weight: 0 },
  { name: 'q-and-a', kind: 'FORUM', visibility: 'PUBLIC', topic: 'Questions with answers that stay findable', members: 0.85, weight: 5 },
  { name: 'rfcs', kind: 'FORUM', visibility: 'PUBLIC', topic: 'Proposals for how we build things', members: 0.55, weight: 3 },
  { name: 'book-club', kind: 'FORUM', visibility: 'PRIVATE', topic: 'This month: Designing Data-Intensive Applications', members: 6, weight: 2 },
];

// ---------------------------------------------------------------- words

const LINES: Record<Flavor, string[]> = {
  general: [
    'Good morning everyone! ☀️',
    'Reminder: all-hands is on {day} at {time}.',
    'Welcome {user} to the team! 🎉',
    'The office wifi is back, thanks facilities.',
    'Who is going to the meetup on {day}?',
    'Congrats to the {service} team on the launch!',
    'Quick poll: should we move the retro to {day}?',
    'Heads up: I am out {day}, ping {user} for anything urgent.',
    'Thanks {user} for covering on-call this weekend 🙏',
    'The quarterly planning doc is up, comments welcome until {day}.',
    'Has anyone seen the projector remote in room 3?',
    'Snacks restocked in the kitchen.',
  ],
  random: [
    'Anyone up for lunch at the ramen place?',
    'My cat just walked across the keyboard and pushed to a branch. Good cat.',
    'Is it just me or is it freezing in here today?',
    'Recommendation thread: best podcast you listened to this month?',
    'Coffee machine on floor 2 is making that noise again ☕',
    'Found a great hiking trail, {n} km with a lake at the top.',
    'Happy birthday {user}! 🎂',
    'Pizza Friday is on, vote for toppings in the thread.',
    'TIL octopuses have three hearts.',
    'Does anyone have a spare HDMI adapter?',
    'Board game night {day}? I will bring Catan.',
    'Who left the plant by the window? It is thriving.',
  ],
  engineering: [
    'The {service} p95 latency dropped to {n} ms after the DataLoader change.',
    'Can someone review PR {pr}? It touches the query planner.',
    'I think we should move the cursor encoding into shared/ so every subgraph agrees.',
    'Composition fails on main: a field is missing @shareable in the channel subgraph.',
    'Benchmarks for {service}: {n} req/s at 50 concurrent clients.',
    'Proposal: keyset pagination everywhere, no OFFSET, including the admin views.',
    'The Prisma upgrade is in, query plans are cached now.',
    'Redis pub/sub fan-out looks healthy, {n} events/s at peak.',
    'Flaky test in {service} again, looking into it.',
    'Let us pair on the subscription reconnect logic {day}?',
    'Postgres full-text search beats the old LIKE query by a mile.',
    'Who owns the gateway timeout settings? We hit {n} ms on a cold start.',
    'Reminder to run npm run codegen after touching a schema.',
  ],
  deploys: [
    'Deploying {service} v1.{n}.0 to staging.',
    'Deployed {service} v1.{n}.0 to production ✅',
    'Rolling back {service}: error rate went up after the release.',
    'Release train leaves at {time}; merge by then.',
    'Migration applied cleanly on production, {n} ms.',
    'Canary for {service} at 10%, watching the dashboards.',
    'Staging is frozen for the demo until {day}.',
    'Hotfix for {service} is out, thanks {user}.',
    'All subgraphs green on /ready after the rollout.',
  ],
  design: [
    'New mockups for the channel sidebar are in Figma.',
    'Should unread counts be bold or a badge? Leaning badge.',
    'The dark theme contrast fails WCAG on the composer placeholder.',
    'Updated the icon set: {n} new glyphs.',
    'Usability test notes from {day} are in the shared folder.',
    'I like the compact message density option, can we ship it?',
    'Typing indicator animation: three dots or a pencil?',
    'Design review {day} at {time}, bring your screens.',
  ],
  help: [
    'How do I get a development token? npm run token gave me an error.',
    'Is there a way to search messages in private channels I am in?',
    'My subscription keeps ending with UNAVAILABLE, what does that mean?',
    'Where do I set CORS_ORIGINS for the web client?',
    'How do I reset my local database? Delete .data?',
    'Why does the gateway say the token has expired after 12 hours?',
    'Can I run just one subgraph locally against the shared Postgres?',
    'What is the max message length again?',
    'How do I page backwards through history?',
  ],
  leadership: [
    'Hiring plan for next quarter: two backend, one designer.',
    'Budget review moved to {day}.',
    'Offsite venue shortlist is in the doc.',
    'We should talk about on-call compensation.',
    'Roadmap draft v{n} is ready for comments.',
    'Candidate debrief at {time}, notes in the usual place.',
  ],
  incidents: [
    'Timeline for the {day} outage is drafted, please check the times.',
    'Root cause: a connection pool of {n} was exhausted by a slow query.',
    'Action item: add a timeout to the gateway fetches.',
    'Customer impact: about {n} minutes of failed sends.',
    'Who can own the follow-up on alerting thresholds?',
    'Postmortem review {day} at {time}.',
  ],
  announcements: [
    'We are moving to the new office on {day}! 📦',
    'Welcome to our {n} new teammates this month.',
    'Holiday schedule is posted.',
    'Security training is due by {day}.',
    'The new expense tool is live.',
  ],
};

const CHATTER = [
  'Sounds good to me.',
  'On it.',
  'Makes sense.',
  'I will take a look after lunch.',
  'Can we sync on this tomorrow?',
  'Nice work! 🚀',
  'I am not sure, let me check.',
  'Good catch.',
  'Agreed, let us do it.',
  'Does anyone have context on this?',
  'I wrote it down in the doc.',
  'ha, classic',
  'Thanks!',
  'Same here.',
  'Let me know if you need a hand.',
  'That was faster than expected.',
  'brb',
  'Yes please 🙏',
  'Hmm, that does not look right.',
  'Shipping it.',
];

const REPLIES = [
  '+1',
  'Agreed with {author}.',
  'Good point, {author}.',
  '@{author} I can help with that.',
  'Same question here.',
  'Thanks {author}, that fixed it!',
  'I think that is already in the docs, let me find the link.',
  'Not yet, maybe {day}?',
  'Done ✅',
  'Could you share more details?',
  'Love this 😍',
  'I had the same issue last week: restarting the subgraph helped.',
];

const EXTRA = [
  'More details in the doc.',
  'Let me know what you think.',
  'Thoughts?',
  'No rush.',
  'cc {user}',
  'Ping me if anything breaks.',
];

const SERVICES = ['gateway', 'message subgraph', 'channel subgraph', 'voice subgraph', 'board subgraph', 'web client', 'search', 'CI pipeline'];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'];
const TIMES = ['9:30', '10:00', '11:00', '13:30', '15:00', '16:30'];
const EMOJI = ['👍', '🎉', '❤️', '😂', '👀', '🚀', '✅', '🙏', '🔥', '💯', ':shipit:', ':party_parrot:', '👍🏽'];

/** Thread titles by forum channel; a channel with more threads than titles numbers the repeats. */
const THREAD_TITLES: Record<string, string[]> = {
  'q-and-a': [
    'Welcome! How this forum works (read first)',
    'How do we version the supergraph?',
    'Best way to test subscriptions end to end?',
    'What does memberCount count exactly?',
    'Why keyset pagination instead of OFFSET?',
    'Voice quality issues behind a corporate firewall',
    'How are TURN credentials rotated?',
    'Should the gateway retry failed subgraph fetches?',
    'Tips for running the stack on a laptop',
    'Rate limits: per user or per token?',
    'Favourite debugging tools for Node?',
    'How do I restore a single channel from a backup?',
    'Why did my subscription end with UNAVAILABLE?',
    'Where do the metrics go?',
  ],
  rfcs: [
    'How to write an RFC here (read first)',
    'RFC: persisted queries for the web client',
    'RFC: move read markers to Redis?',
    'RFC: message threads inside text channels',
    'RFC: soft delete for channels',
    'RFC: Redis Cluster for pub/sub',
    'RFC: naming conventions for GraphQL mutations',
    'RFC: an onboarding checklist for new engineers',
    'RFC: point-in-time recovery for Postgres',
  ],
  'book-club': [
    'Schedule and house rules (read first)',
    'Chapter 1: reliable, scalable, maintainable',
    'Chapter 2: data models and query languages',
    'Chapter 3: storage and retrieval',
    'Chapter 5: replication, and what it means for us',
    'Chapter 7: transactions',
    'Chapter 11: stream processing',
    'What should we read next?',
  ],
};

const THREAD_TAGS: Record<string, string[]> = {
  'q-and-a': ['question', 'help', 'voice', 'postgres', 'performance', 'frontend', 'solved'],
  rfcs: ['rfc', 'draft', 'accepted', 'infra', 'api', 'performance'],
  'book-club': ['chapter', 'discussion', 'off-topic'],
};

const POSTS = [
  'I looked into this last week. The short answer: it depends on the load, but the current setup holds up well to a few thousand connections per replica.',
  'We tried that approach in my last job; it worked until the data grew, then it got painful. I would start simple and measure.',
  'Here is how I do it locally: start Postgres and Redis, run the migration once, then start the subgraphs one by one.',
  'Strong +1 on this. The current behaviour surprised me too.',
  'Counterpoint: this adds a moving part for a problem we do not have yet.',
  'The docs cover part of it, but the tricky bit is ordering under concurrency.',
  'I wrote a small benchmark; numbers in the next post.',
  'Numbers: p50 {n} ms, p99 about three times that. Good enough for now.',
  'Can we decide by {day}? It blocks the next milestone.',
  'Summarising the discussion so far: most of us prefer option B, with a migration plan.',
  'Thanks, this answers my question.',
  'Marking this as resolved; reopen if it comes back.',
  'Agree with {author}, and I would add metrics before changing anything.',
  'One more data point: the staging cluster showed the same pattern.',
];


// ---------------------------------------------------------------- randomness, ids, time

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const chance = (p: number) => next() < p;
  /** k distinct items, in random order. */
  const sample = <T>(items: readonly T[], k: number): T[] => {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [copy[i], copy[j]] = [copy[j], copy[i]];
    }
    return copy.slice(0, Math.max(0, Math.min(k, copy.length)));
  };
  return { next, int, pick, chance, sample };
}
type Rng = ReturnType<typeof prng>;

/** A UUID that is a pure function of the seed and a key, so a rerun finds the same rows. */
function seededUuid(seed: number, key: string): string {
  const h = createHash('sha256').update(`commons-seed/${seed}/${key}`).digest('hex').split('');
  h[12] = '4'; // version 4 layout
  h[16] = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16); // RFC 4122 variant
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

// ---------------------------------------------------------------- the community

interface Person {
  id: string;
  name: string;
  handle: string;
  /** How talkative: some people write much more than others. */
  weight: number;
}

interface Plan {
  users: Prisma.UserCreateManyInput[];
  channels: Prisma.ChannelCreateManyInput[];
  memberships: Prisma.MembershipCreateManyInput[];
  messages: Prisma.MessageCreateManyInput[];
  edits: Prisma.MessageEditCreateManyInput[];
  reactions: Prisma.ReactionCreateManyInput[];
  counters: Prisma.ChannelMessageCounterCreateManyInput[];
  readMarkers: Prisma.ReadMarkerCreateManyInput[];
  threads: Prisma.ThreadCreateManyInput[];
  posts: Prisma.PostCreateManyInput[];
  channelIds: Record<string, string>;
  viewer: Person;
}

/** Fills {user}, {author}, {service}, {n}, {pr}, {day} and {time}. */
function fill(rng: Rng, text: string, members: Person[], author?: Person): string {
  return text
    .replace(/\{user\}/g, () => `@${rng.pick(members).handle}`)
    .replace(/\{author\}/g, () => (author ? author.name.split(' ')[0] : rng.pick(members).name.split(' ')[0]))
    .replace(/\{service\}/g, () => rng.pick(SERVICES))
    .replace(/\{n\}/g, () => String(rng.int(2, 120)))
    .replace(/\{pr\}/g, () => `#${rng.int(1200, 2400)}`)
    .replace(/\{day\}/g, () => rng.pick(DAYS))
    .replace(/\{time\}/g, () => rng.pick(TIMES));
}

/** What a message said before its author fixed it: a slip of the fingers in its longest word. */
function draftOf(body: string): string {
  const words = body.split(' ');
  const longest = words.reduce((best, w, i) => (w.length > words[best].length ? i : best), 0);
  const w = words[longest];
  if (w.length < 4) return `${body} ..`;
  words[longest] = w[0] + w[2] + w[1] + w.slice(3);
  const draft = words.join(' ');
  return draft === body ? `${body} ..` : draft;
}

/** A person from `members`, talkative ones more often. */
function speaker(rng: Rng, members: Person[]): Person {
  const total = members.reduce((sum, p) => sum + p.weight, 0);
  let r = rng.next() * total;
  for (const p of members) if ((r -= p.weight) < 0) return p;
  return members[members.length - 1];
}

/**
 * `n` increasing times in [from, to): conversations (bursts of messages a few seconds to minutes
 * apart) scattered over the window, as people actually chat. Distinct to the millisecond.
 */
function conversationTimes(rng: Rng, n: number, from: number, to: number): number[] {
  const times: number[] = [];
  while (times.length < n) {
    let t = from + rng.next() * (to - from);
    const burst = rng.int(3, 14);
    for (let i = 0; i < burst && times.length < n; i++) {
      t += rng.int(8, 300) * 1000;
      if (t >= to) break;
      times.push(Math.floor(t));
    }
  }
  times.sort((a, b) => a - b);
  for (let i = 1; i < times.length; i++) if (times[i] <= times[i - 1]) times[i] = times[i - 1] + 1;
  return times;
}

function planCommunity(options: Required<Omit<SeedOptions, 'now'>> & { now: Date }): Plan {
  for (const key of ['users', 'messages', 'threads', 'seed', 'days'] as const) {
    if (!Number.isInteger(options[key]) || options[key] < 1) throw new Error(`seed option ${key} must be a positive integer`);
  }
  const rng = prng(options.seed);
  const id = (key: string) => seededUuid(options.seed, key);
  const end = options.now.getTime() - MINUTE;
  const start = end - options.days * DAY;

  const people: Person[] = PEOPLE.slice(0, Math.max(2, Math.min(options.users, PEOPLE.length))).map(([pid, name], i) => ({
    id: pid,
    name,
    handle: pid,
    weight: 1 / (1 + i * 0.12) + rng.next() * 0.3,
  }));
  const viewer = people[0];
  const plan: Plan = {
    users: people.map((p, i) => ({ id: p.id, handle: p.handle, displayName: p.name, createdAt: new Date(start - (40 - i) * DAY) })),
    channels: [],
    memberships: [],
    messages: [],
    edits: [],
    reactions: [],
    counters: [],
    readMarkers: [],
    threads: [],
    posts: [],
    channelIds: {},
    viewer,
  };

  const textWeight = CHANNELS.filter((c) => c.kind === 'TEXT').reduce((s, c) => s + c.weight, 0);
  const forumWeight = CHANNELS.filter((c) => c.kind === 'FORUM').reduce((s, c) => s + c.weight, 0);

  // At the default 30 days: channels made in the first hours, people join within a day, the
  // archived channel was archived 3 days ago.
  const span = end - start;
  const joinSpan = span / 30;
  CHANNELS.forEach((spec, index) => {
    const channelId = id(`channel/${spec.name}`);
    plan.channelIds[spec.name] = channelId;
    const createdAt = start + Math.floor((index * span) / 1000);
    const archivedAt = spec.archived ? end - Math.floor(span / 10) : null;
    // Activity happens after everyone joined and before archiving.
    const activeFrom = createdAt + joinSpan;
    const activeTo = archivedAt ?? end;

    // Members: the viewer everywhere (so one token shows it all), then a sample of the others.
    const others = people.slice(1);
    const count = spec.visibility === 'PUBLIC' ? Math.round(others.length * spec.members) : spec.members - 1;
    const members = [viewer, ...rng.sample(others, count)];
    const owner = index % 3 === 0 || members.length === 1 ? viewer : members[1];
    const admins = rng.sample(members.filter((m) => m !== owner), spec.visibility === 'PRIVATE' ? 1 : rng.int(1, 2));
    const moderators = [owner, ...admins];
    plan.channels.push({
      id: channelId,
      name: spec.name,
      topic: spec.topic,
      kind: spec.kind,
      visibility: spec.visibility,
      createdById: owner.id,
      createdAt: new Date(createdAt),
      archivedAt: archivedAt === null ? null : new Date(archivedAt),
      memberCount: members.length,
    });
    // The owner joins as the channel is made; the others during its first day.
    for (const m of members) {
      plan.memberships.push({
        channelId,
        userId: m.id,
        role: m === owner ? 'OWNER' : admins.includes(m) ? 'ADMIN' : 'MEMBER',
        joinedAt: new Date(m === owner ? createdAt : createdAt + Math.floor(rng.next() * joinSpan * 0.9) + 1),
      });
    }

    if (spec.kind === 'TEXT') {
      const n = Math.max(1, Math.round((options.messages * spec.weight) / textWeight));
      planMessages(rng, plan, { channelId, spec, members, moderators, n, from: activeFrom, to: activeTo, id });
    }
    if (spec.kind === 'FORUM') {
      const n = Math.max(1, Math.round((options.threads * spec.weight) / forumWeight));
      planThreads(rng, plan, { channelId, spec, members, n, from: activeFrom, to: activeTo, id });
    }
  });
  return plan;
}

function planMessages(
  rng: Rng,
  plan: Plan,
  c: { channelId: string; spec: ChannelSpec; members: Person[]; moderators: Person[]; n: number; from: number; to: number; id: (key: string) => string },
): void {
  const times = conversationTimes(rng, c.n, c.from, c.to);
  const lines = LINES[c.spec.flavor ?? 'general'];
  const rows: Array<Prisma.MessageCreateManyInput & { author: Person; at: number; deleted: boolean }> = [];
  times.forEach((at, i) => {
    const seq = i + 1;
    const author = speaker(rng, c.members);
    const messageId = c.id(`message/${c.spec.name}/${seq}`);
    let replyToId: string | null = null;
    let body: string;
    if (rows.length >= 3 && rng.chance(0.12)) {
      const parent = rows[rows.length - rng.int(1, Math.min(10, rows.length))];
      replyToId = parent.id!;
      body = fill(rng, rng.pick(REPLIES), c.members, parent.author);
    } else {
      body = fill(rng, rng.chance(0.65) ? rng.pick(lines) : rng.pick(CHATTER), c.members);
      if (rng.chance(0.2)) body += ` ${fill(rng, rng.pick(EXTRA), c.members)}`;
    }
    const deleted = rng.chance(0.015);
    const row: (typeof rows)[number] = {
      id: messageId,
      channelId: c.channelId,
      seq: BigInt(seq),
      authorId: author.id,
      body: deleted ? '' : body,
      replyToId,
      createdAt: new Date(at),
      deletedAt: deleted ? new Date(Math.min(at + rng.int(1, 30) * MINUTE, c.to)) : null,
      author,
      at,
      deleted,
    };
    rows.push(row);
    if (deleted) return;

    // An edit: the earlier body goes to message_edits, as editMessage does.
    if (rng.chance(0.04)) {
      const editedAt = new Date(Math.min(at + rng.int(1, 20) * MINUTE, c.to - 1));
      if (editedAt.getTime() > at) {
        plan.edits.push({ id: c.id(`edit/${c.spec.name}/${seq}`), messageId, body: draftOf(body), editedAt });
        row.editedAt = editedAt;
      }
    }
    // Reactions from members, a few emoji each; in first-use order by time.
    if (rng.chance(0.22)) {
      for (const emoji of rng.sample(EMOJI, rng.int(1, 3))) {
        for (const reactor of rng.sample(c.members, rng.int(1, Math.min(rng.chance(0.2) ? 8 : 3, c.members.length)))) {
          const reactedAt = Math.min(at + rng.int(5, 2 * 60 * 60) * 1000, c.to - 1);
          plan.reactions.push({ messageId, userId: reactor.id, emoji, createdAt: new Date(Math.max(reactedAt, at + 1)) });
        }
      }
    }
  });

  // A few pins, by an OWNER or ADMIN, on messages that are still there.
  const live = rows.filter((r) => !r.deleted);
  for (const r of rng.sample(live, rng.int(0, Math.min(3, live.length)))) {
    r.pinnedAt = new Date(Math.min(r.at + rng.int(1, 120) * MINUTE, c.to - 1));
    if ((r.pinnedAt as Date).getTime() <= r.at) r.pinnedAt = new Date(r.at + 1);
    r.pinnedById = rng.pick(c.moderators).id;
  }

  for (const { author: _author, at: _at, deleted: _deleted, ...message } of rows) plan.messages.push(message);
  plan.counters.push({ channelId: c.channelId, lastSeq: BigInt(rows.length) });

  // Read markers: most members have read up to somewhere near the end; the viewer always, to
  // within a few messages (so a demo shows a handful of unread, not hundreds).
  for (const m of c.members) {
    const isViewer = m === plan.viewer;
    if (!isViewer && !rng.chance(0.7)) continue;
    const seq = Math.max(1, rows.length - rng.int(0, Math.min(rows.length - 1, isViewer ? 6 : 30)));
    const read = rows[seq - 1];
    plan.readMarkers.push({
      userId: m.id,
      channelId: c.channelId,
      lastReadSeq: BigInt(seq),
      lastReadMessageId: read.id!,
      updatedAt: new Date(Math.min(read.at + rng.int(1, 60) * MINUTE, c.to)),
    });
  }
}

function planThreads(
  rng: Rng,
  plan: Plan,
  c: { channelId: string; spec: ChannelSpec; members: Person[]; n: number; from: number; to: number; id: (key: string) => string },
): void {
  const starts = Array.from({ length: c.n }, () => Math.floor(c.from + rng.next() * (c.to - c.from) * 0.9)).sort((a, b) => a - b);
  starts.forEach((createdAt, t) => {
    const threadId = c.id(`thread/${c.spec.name}/${t}`);
    const author = speaker(rng, c.members);
    // Most threads are short; a few run long.
    const wanted = 1 + Math.floor(rng.next() ** 2 * 24);
    const posts: Prisma.PostCreateManyInput[] = [];
    let at = createdAt;
    for (let seq = 1; seq <= wanted; seq++) {
      if (seq > 1) at += rng.int(5, 36 * 60) * MINUTE;
      if (at >= c.to) break;
      const poster = seq === 1 ? author : speaker(rng, c.members);
      const deleted = seq > 1 && rng.chance(0.03);
      const edited = !deleted && rng.chance(0.05);
      posts.push({
        id: c.id(`post/${c.spec.name}/${t}/${seq}`),
        threadId,
        seq,
        authorId: poster.id,
        body: deleted ? '' : fill(rng, seq === 1 ? `${rng.pick(POSTS)}\n\n${rng.pick(POSTS)}` : rng.pick(POSTS), c.members, author),
        createdAt: new Date(at),
        editedAt: edited ? new Date(Math.min(at + rng.int(1, 90) * MINUTE, c.to)) : null,
        deletedAt: deleted ? new Date(Math.min(at + rng.int(1, 90) * MINUTE, c.to)) : null,
      });
    }
    // The oldest thread is the forum's pinned welcome; then the titles in turn.
    const titles = THREAD_TITLES[c.spec.name] ?? THREAD_TITLES['q-and-a'];
    const round = Math.floor(t / titles.length);
    const title = titles[t % titles.length] + (round > 0 ? ` (${round + 1})` : '');
    plan.threads.push({
      id: threadId,
      channelId: c.channelId,
      authorId: author.id,
      title,
      tags: t === 0 ? [] : rng.sample(THREAD_TAGS[c.spec.name] ?? THREAD_TAGS['q-and-a'], rng.int(0, 3)),
      // The welcome is pinned; the second-oldest thread is locked (settled: no more replies).
      pinned: t === 0,
      locked: t === 1 && c.n > 2,
      createdAt: new Date(createdAt),
      lastActivityAt: posts[posts.length - 1].createdAt,
      postCount: posts.length,
    });
    plan.posts.push(...posts);
  });
}

// ---------------------------------------------------------------- writing

async function inBatches<T>(rows: T[], write: (batch: T[]) => Promise<unknown>, size = 500): Promise<void> {
  for (let i = 0; i < rows.length; i += size) await write(rows.slice(i, i + size));
}

/** Counts what the seed `seed` put in the database (whether this run or an earlier one wrote it). */
async function summarize(prisma: PrismaClient, plan: Plan, seed: number, created: boolean): Promise<SeedSummary> {
  const ids = Object.values(plan.channelIds);
  const inChannels = { channelId: { in: ids } };
  const channels = await prisma.channel.findMany({ where: { id: { in: ids } }, select: { kind: true, visibility: true, archivedAt: true } });
  const [memberships, messages, replies, deletedMessages, pins, reactions, edits, readMarkers, threads, posts, users] = await Promise.all([
    prisma.membership.count({ where: inChannels }),
    prisma.message.count({ where: inChannels }),
    prisma.message.count({ where: { ...inChannels, replyToId: { not: null } } }),
    prisma.message.count({ where: { ...inChannels, deletedAt: { not: null } } }),
    prisma.message.count({ where: { ...inChannels, pinnedAt: { not: null } } }),
    prisma.reaction.count({ where: { message: inChannels } }),
    prisma.messageEdit.count({ where: { message: inChannels } }),
    prisma.readMarker.count({ where: inChannels }),
    prisma.thread.count({ where: inChannels }),
    prisma.post.count({ where: { thread: inChannels } }),
    prisma.user.count({ where: { id: { in: plan.users.map((u) => u.id) } } }),
  ]);
  return {
    created,
    seed,
    users,
    channels: {
      total: channels.length,
      text: channels.filter((c) => c.kind === 'TEXT').length,
      voice: channels.filter((c) => c.kind === 'VOICE').length,
      forum: channels.filter((c) => c.kind === 'FORUM').length,
      private: channels.filter((c) => c.visibility === 'PRIVATE').length,
      archived: channels.filter((c) => c.archivedAt).length,
    },
    memberships,
    messages,
    replies,
    reactions,
    edits,
    deletedMessages,
    pins,
    readMarkers,
    threads,
    posts,
    channelIds: plan.channelIds,
    viewer: { id: plan.viewer.id, name: plan.viewer.name, handle: plan.viewer.handle },
  };
}

/**
 * Writes the community of `options.seed` into a migrated database, in one transaction (all or
 * nothing); when it is already there, writes nothing. Returns what is there.
 */
export async function seedCommunity(prisma: PrismaClient, options: SeedOptions = {}): Promise<SeedSummary> {
  const resolved = { ...DEFAULT_SEED_OPTIONS, ...options, now: options.now ?? new Date() };
  const plan = planCommunity(resolved);
  const marker = plan.channels[0].id!;
  if (await prisma.channel.findUnique({ where: { id: marker }, select: { id: true } })) {
    return summarize(prisma, plan, resolved.seed, false);
  }
  await prisma.$transaction(
    async (tx) => {
      // Existing users (someone who already signed in as alice) are left as they are.
      await tx.user.createMany({ data: plan.users, skipDuplicates: true });
      await tx.channel.createMany({ data: plan.channels });
      await inBatches(plan.memberships, (data) => tx.membership.createMany({ data }));
      await inBatches(plan.messages, (data) => tx.message.createMany({ data }));
      await tx.channelMessageCounter.createMany({ data: plan.counters });
      await inBatches(plan.edits, (data) => tx.messageEdit.createMany({ data }));
      await inBatches(plan.reactions, (data) => tx.reaction.createMany({ data }));
      await inBatches(plan.readMarkers, (data) => tx.readMarker.createMany({ data }));
      await inBatches(plan.threads, (data) => tx.thread.createMany({ data }));
      await inBatches(plan.posts, (data) => tx.post.createMany({ data }));
    },
    { maxWait: 30_000, timeout: 10 * 60_000 },
  );
  return summarize(prisma, plan, resolved.seed, true);
}

// ---------------------------------------------------------------- the command

const USAGE = `usage: npm run seed [-- --messages N] [--threads N] [--users N (2..${PEOPLE.length})] [--seed N] [--days N] [--force]`;

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer\n${USAGE}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string' },
      threads: { type: 'string' },
      users: { type: 'string' },
      seed: { type: 'string' },
      days: { type: 'string' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const options: SeedOptions = {
    messages: positive('messages', values.messages, DEFAULT_SEED_OPTIONS.messages),
    threads: positive('threads', values.threads, DEFAULT_SEED_OPTIONS.threads),
    users: positive('users', values.users, DEFAULT_SEED_OPTIONS.users),
    seed: positive('seed', values.seed, DEFAULT_SEED_OPTIONS.seed),
    days: positive('days', values.days, DEFAULT_SEED_OPTIONS.days),
  };
  const config = loadConfig();

  let embedded: EmbeddedPostgres | undefined;
  let databaseUrl = config.databaseUrl;
  if (databaseUrl) {
    await ensureDatabase(databaseUrl);
  } else {
    // PGlite keeps postmaster.pid in its folder while it is open (and removes it on a clean
    // stop): a second process on the same folder would corrupt it.
    const pidFile = path.resolve(config.dataDir, 'pg', 'postmaster.pid');
    if (existsSync(pidFile) && !values.force) {
      throw new Error(
        `The embedded database in ${path.resolve(config.dataDir)} is in use (${pidFile} exists): PGlite serves one process ` +
          'at a time, so stop `npm start` first, seed, then start it again. If nothing is running (a crash left the file ' +
          'behind), run again with --force.',
      );
    }
    embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort });
    databaseUrl = embedded.url;
  }

  let prisma: PrismaClient | undefined;
  try {
    const ran = await migrate(databaseUrl);
    if (ran.length) console.log(`migrations applied: ${ran.join(', ')}`);
    // The embedded server runs every connection in one session: no named statements there.
    prisma = createPrisma({ url: databaseUrl, ...config.db, preparedStatements: config.db.preparedStatements && !embedded });
    const started = Date.now();
    const s = await seedCommunity(prisma, options);
    const where = embedded ? `the embedded database in ${path.resolve(config.dataDir)}` : 'DATABASE_URL';
    console.log(
      [
        s.created ? `Seeded ${where} in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${s.seed}):` : `Seed ${s.seed} was already in ${where}; nothing written. It holds:`,
        `  ${s.users} users`,
        `  ${s.channels.total} channels: ${s.channels.text} text, ${s.channels.voice} voice, ${s.channels.forum} forum; ${s.channels.private} private, ${s.channels.archived} archived`,
        `  ${s.memberships} memberships`,
        `  ${s.messages} messages: ${s.replies} replies, ${s.edits} edits, ${s.deletedMessages} deleted, ${s.pins} pinned; ${s.reactions} reactions; ${s.readMarkers} read markers`,
        `  ${s.threads} threads with ${s.posts} posts`,
      ].join('\n'),
    );
    if (config.auth.jwtSecret) {
      const token = await signClientToken(
        config.auth.jwtSecret,
        { id: s.viewer.id, name: s.viewer.name, handle: s.viewer.handle },
        { expiresIn: '12h', issuer: config.auth.issuer, audience: config.auth.audience },
      );
      console.log(
        `\nSign in as ${s.viewer.name} (${s.viewer.id}, a member of every seeded channel), valid 12 h:\n\n${token}\n\n` +
          'In Sandbox: Headers -> Authorization: Bearer <token>. In the web client: paste it on the sign-in screen.\n' +
          `Any other seeded person: npm run -s token -- <id> "<Name>" <id>   (ids: ${PEOPLE.slice(0, s.users).map(([pid]) => pid).join(', ')})`,
      );
    } else {
      console.log(`\nJWKS_URL is set: sign in through your identity provider as a user whose subject is "${s.viewer.id}".`);
    }
  } finally {
    await prisma?.$disconnect();
    await embedded?.close();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
