// The bench's data: a database of this run's own (created and migrated as the tests do), and
// rows written straight through Prisma, so seeding costs seconds and no rate limit applies.
import { randomUUID } from 'node:crypto';
import { createPrisma, type PrismaClient, type Viewer } from '@commons/shared';
import { createTestDatabase, type TestDatabase } from '../../tests/testkit/database';

export const VIEWER: Viewer = { id: 'bench-viewer', name: 'Bench Viewer', handle: 'benchviewer' };
export const PUBLISHER: Viewer = { id: 'bench-pub', name: 'Bench Publisher', handle: 'benchpub' };
export const MEMBERS = 120;
export const AUTHORS = 20;
export const MESSAGES = 150;
/** Enough people that sendMessage's per-user limit (5/s after a burst of 20) stays out of the way at 1,000 msgs/s. */
export const WRITERS = 400;
/** W1 writes into this many channels at once (and, separately, into one hot channel). */
export const WRITE_CHANNELS = 10;
const EMOJIS = ['👍', '🎉', '❤️', '😂'];

export const memberId = (i: number) => `bm-${String(i).padStart(3, '0')}`;
export const writerId = (i: number) => `bw-${String(i).padStart(3, '0')}`;

export interface Seeded {
  db: TestDatabase;
  prisma: PrismaClient;
  /** The Q2 channel: MEMBERS members, MESSAGES messages by AUTHORS authors, replies and reactions. */
  channelId: string;
  /** W1's channels: WRITERS members who send, in WRITE_CHANNELS channels and in one hot channel. */
  writeChannelIds: string[];
  hotChannelId: string;
  close(): Promise<void>;
}

const user = (id: string, name: string, handle: string) => ({ id, displayName: name, handle });

export async function seed(): Promise<Seeded> {
  const db = await createTestDatabase('bench');
  const prisma = createPrisma({ url: db.url, poolSize: 4, connectTimeoutMs: 5000 });
  try {
    await prisma.user.createMany({
      data: [
        user(VIEWER.id, VIEWER.name!, VIEWER.handle!),
        user(PUBLISHER.id, PUBLISHER.name!, PUBLISHER.handle!),
        ...Array.from({ length: MEMBERS }, (_, i) => user(memberId(i), `Member ${i}`, `member${i}`)),
        ...Array.from({ length: WRITERS }, (_, i) => user(writerId(i), `Writer ${i}`, `writer${i}`)),
      ],
    });

    const channelId = randomUUID();
    const writeChannelIds = Array.from({ length: WRITE_CHANNELS }, () => randomUUID());
    const hotChannelId = randomUUID();
    const writeChannels = [...writeChannelIds, hotChannelId];
    await prisma.channel.createMany({
      data: [
        { id: channelId, name: 'bench-general', topic: 'the Q2 page', kind: 'TEXT', visibility: 'PUBLIC', createdById: VIEWER.id, memberCount: MEMBERS + 1 },
        ...writeChannels.map((id, i) => ({ id, name: `bench-writes-${i}`, kind: 'TEXT' as const, visibility: 'PUBLIC' as const, createdById: VIEWER.id, memberCount: WRITERS + 2 })),
      ],
    });
    const base = Date.now() - 3_600_000;
    await prisma.membership.createMany({
      data: [
        { channelId, userId: VIEWER.id, role: 'OWNER', joinedAt: new Date(base) },
        ...Array.from({ length: MEMBERS }, (_, i) => ({ channelId, userId: memberId(i), role: 'MEMBER' as const, joinedAt: new Date(base + (i + 1) * 1000) })),
        ...writeChannels.flatMap((cid) => [
          { channelId: cid, userId: VIEWER.id, role: 'OWNER' as const },
          { channelId: cid, userId: PUBLISHER.id, role: 'MEMBER' as const },
          ...Array.from({ length: WRITERS }, (_, i) => ({ channelId: cid, userId: writerId(i), role: 'MEMBER' as const })),
        ]),
      ],
    });

    const ids = Array.from({ length: MESSAGES }, () => randomUUID());
    await prisma.message.createMany({
      data: ids.map((id, i) => ({
        id,
        channelId,
        seq: BigInt(i + 1),
        authorId: memberId(i % AUTHORS),
        body: `Message ${i + 1}: a line of chat of about the usual length, with a little more text.`,
        // Every third message replies to the one two before it.
        replyToId: i % 3 === 2 ? ids[i - 2] : null,
        createdAt: new Date(base + 600_000 + i * 1000),
        pinnedAt: i % 50 === 0 ? new Date(base + 700_000) : null,
        pinnedById: i % 50 === 0 ? VIEWER.id : null,
      })),
    });
    await prisma.channelMessageCounter.create({ data: { channelId, lastSeq: BigInt(MESSAGES) } });
    // 0-3 reactions per message from members, and the viewer's own on every fifth.
    const reactions: Array<{ messageId: string; userId: string; emoji: string }> = [];
    ids.forEach((messageId, i) => {
      for (let j = 0; j < i % 4; j++) reactions.push({ messageId, userId: memberId((i + j * 7) % MEMBERS), emoji: EMOJIS[j] });
      if (i % 5 === 0) reactions.push({ messageId, userId: VIEWER.id, emoji: EMOJIS[0] });
    });
    await prisma.reaction.createMany({ data: reactions, skipDuplicates: true });
    return {
      db,
      prisma,
      channelId,
      writeChannelIds,
      hotChannelId,
      async close() {
        await prisma.$disconnect();
        await db.drop();
      },
    };
  } catch (err) {
    await prisma.$disconnect();
    await db.drop();
    throw err;
  }
}

/** A fresh PUBLIC channel for one live scenario, with the publisher as its owner. */
export async function liveChannel(prisma: PrismaClient, name: string): Promise<string> {
  const id = randomUUID();
  await prisma.channel.create({ data: { id, name, kind: 'TEXT', visibility: 'PUBLIC', createdById: PUBLISHER.id, memberCount: 1 } });
  await prisma.membership.create({ data: { channelId: id, userId: PUBLISHER.id, role: 'OWNER' } });
  return id;
}
