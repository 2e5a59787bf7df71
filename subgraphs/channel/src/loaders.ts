import DataLoader from 'dataloader';
import { channelsById, usersById, type ChannelAccess, type PrismaClient } from '@commons/shared';
import type { Channel, User } from '@commons/shared/src/generated/prisma/client';

/**
 * Per-operation batch loaders: one query per batch, results in key order, null when missing.
 * The viewer's membership of a channel is `ChannelAccess#membership`, filled by `channel`.
 */
export interface ChannelLoaders {
  user: DataLoader<string, User | null>;
  channel: DataLoader<string, Channel | null>;
}

export function createLoaders(prisma: PrismaClient, access: ChannelAccess): ChannelLoaders {
  return {
    user: new DataLoader((ids) => usersById(prisma, ids)),
    channel: new DataLoader(async (ids) => {
      const found = await channelsById(prisma, ids, access.viewer?.id ?? null);
      // The same statement read the viewer's membership: access checks and viewerMembership need no read of their own.
      ids.forEach((id, i) => access.prime(id, found[i]));
      return found.map((read) => read?.channel ?? null);
    }),
  };
}
