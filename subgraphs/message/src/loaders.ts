import DataLoader from 'dataloader';
import { isUuid } from '@commons/shared';
import type { Message, PrismaClient } from '@commons/shared/src/generated/prisma/client';

/** Per-operation loaders: every row a list of messages can reach costs one query per batch. */
export interface MessageLoaders {
  /** Messages by id, in key order; null for a missing message or a malformed id. */
  messageById: DataLoader<string, Message | null>;
}

export function createLoaders(prisma: PrismaClient): MessageLoaders {
  return {
    messageById: new DataLoader(async (ids) => {
      const valid = ids.filter(isUuid);
      const rows = valid.length > 0 ? await prisma.message.findMany({ where: { id: { in: valid } } }) : [];
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
