import DataLoader from 'dataloader';
import { isUuid, type PrismaClient } from '@commons/shared';
import type { Channel, Membership, User } from '@commons/shared/src/generated/prisma/client';

export interface MembershipKey {
  channelId: string;
  userId: string;
}

/** Per-operation batch loaders: one query per batch, results in key order, null when missing. */
export interface ChannelLoaders {
  user: DataLoader<string, User | null>;
  channel: DataLoader<string, Channel | null>;
  membership: DataLoader<MembershipKey, Membership | null, string>;
}

const membershipKey = (k: MembershipKey) => `${k.channelId}:${k.userId}`;

export function createLoaders(prisma: PrismaClient): ChannelLoaders {
  return {
    user: new DataLoader(async (ids) => {
      const rows = await prisma.user.findMany({ where: { id: { in: [...ids] } } });
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    channel: new DataLoader(async (ids) => {
      // A malformed id is simply missing: it must never reach the uuid column.
      const rows = await prisma.channel.findMany({ where: { id: { in: ids.filter(isUuid) } } });
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    membership: new DataLoader(
      async (keys) => {
        const valid = keys.filter((k) => isUuid(k.channelId));
        const rows = valid.length
          ? await prisma.membership.findMany({ where: { OR: valid.map((k) => ({ channelId: k.channelId, userId: k.userId })) } })
          : [];
        const byKey = new Map(rows.map((r) => [membershipKey(r), r]));
        return keys.map((k) => byKey.get(membershipKey(k)) ?? null);
      },
      { cacheKeyFn: membershipKey },
    ),
  };
}
