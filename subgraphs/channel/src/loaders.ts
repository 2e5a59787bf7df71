import DataLoader from 'dataloader';
import { channelsById, usersById, type BaseContext } from '@commons/shared';
import type { Channel, User } from '@commons/shared/src/generated/prisma/client';

/**
 * Batch loaders: one query per batch, results in key order, null when missing. `user` reads what
 * every caller sees alike and serves the whole HTTP request (every caller of a batch); `channel`
 * reads the viewer's membership with the row, so it is the operation's own. The viewer's
 * membership of a channel is `ChannelAccess#membership`, filled by `channel`.
 */
export interface ChannelLoaders {
  user: DataLoader<string, User | null>;
  channel: DataLoader<string, Channel | null>;
}

export function createLoaders({ prisma, access, perRequest }: BaseContext): ChannelLoaders {
  return {
    user: perRequest.once('channel.user', () => new DataLoader((ids: readonly string[]) => usersById(prisma, ids))),
    channel: new DataLoader(async (ids) => {
      const found = await channelsById(prisma, ids, access.viewer?.id ?? null);
      // The same statement read the viewer's membership: access checks and viewerMembership need no read of their own.
      ids.forEach((id, i) => access.prime(id, found[i]));
      return found.map((read) => read?.channel ?? null);
    }),
  };
}
