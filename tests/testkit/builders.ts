import { randomUUID } from 'node:crypto';
import { createForwardedUserSigner, FORWARDED_USER_HEADER, poolOf, type Viewer } from '@commons/shared';
import type { PrismaClient } from '@commons/shared/src/generated/prisma/client';
import type { ChannelKind, ChannelVisibility, MemberRole } from '@commons/shared/src/generated/prisma/enums';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { TEST_GATEWAY_SECRET } from './subgraph';

/** Polls until `predicate` holds; fails with `what` after the timeout. */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Counts the statements sent on `prisma`'s pool into `counter.count`: Prisma's and the raw reads
 * of pg-reads.ts alike (statements inside a transaction go through a checked-out client instead).
 */
export function countStatements(prisma: PrismaClient, counter: { count: number }): void {
  const pool = poolOf(prisma);
  const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  (pool as { query: unknown }).query = (...args: unknown[]) => (counter.count++, query(...args));
}

// Data builders for subgraph-level tests: rows written directly, unique per call, so tests
// never share data (the channel subgraph, which owns these tables, is not running there).

export async function createUser(prisma: PrismaClient): Promise<Viewer> {
  const id = `user-${randomUUID()}`;
  await prisma.user.create({ data: { id, handle: id.slice(0, 20), displayName: 'Test User' } });
  return { id };
}

export async function addMember(prisma: PrismaClient, channelId: string, user: Viewer, role: MemberRole = 'MEMBER') {
  await prisma.membership.create({ data: { channelId, userId: user.id, role } });
}

export interface ChannelOptions {
  kind?: ChannelKind;
  visibility?: ChannelVisibility;
  archived?: boolean;
  members?: Viewer[];
  role?: MemberRole;
}

export async function createChannel(prisma: PrismaClient, options: ChannelOptions = {}): Promise<string> {
  const members = options.members ?? [];
  const kind = options.kind ?? 'TEXT';
  const channel = await prisma.channel.create({
    data: {
      name: `${kind.toLowerCase()}-${randomUUID().slice(0, 8)}`,
      kind,
      visibility: options.visibility ?? 'PUBLIC',
      createdById: members[0]?.id ?? 'nobody',
      archivedAt: options.archived ? new Date() : null,
      memberCount: members.length,
    },
  });
  for (const member of members) await addMember(prisma, channel.id, member, options.role);
  return channel.id;
}

const sign = createForwardedUserSigner(TEST_GATEWAY_SECRET);

/** A graphql-ws client to a subgraph, authenticated as the gateway. */
export function createWsClient(httpUrl: string): Client {
  return createClient({
    url: httpUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: async () => ({ [FORWARDED_USER_HEADER]: await sign(null) }),
    retryAttempts: 0,
  });
}

/** The per-operation caller, as the gateway forwards it in a subscription's extensions. */
export const forwardedUserExtensions = async (viewer: Viewer | null) => ({ [FORWARDED_USER_HEADER]: await sign(viewer) });
