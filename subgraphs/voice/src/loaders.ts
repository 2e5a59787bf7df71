import DataLoader from 'dataloader';
import type { PrismaClient, VoiceParticipant } from '@commons/shared/src/generated/prisma/client';
import { liveParticipantsByIds, liveParticipantsInChannels } from './domain/participants';

/** Per-operation loaders over live seats: a batch of references costs one query. */
export interface VoiceLoaders {
  /** Live participants by id, in key order; null for a missing, stale or malformed id. */
  participantById: DataLoader<string, VoiceParticipant | null>;
  /** Each channel's live participants, in joining order. */
  participantsByChannel: DataLoader<string, VoiceParticipant[]>;
}

export function createLoaders(prisma: PrismaClient, heartbeatTimeoutMs: number): VoiceLoaders {
  return {
    participantById: new DataLoader(async (ids) => {
      const rows = await liveParticipantsByIds(prisma, ids, heartbeatTimeoutMs);
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    participantsByChannel: new DataLoader(async (channelIds) => {
      const rows = await liveParticipantsInChannels(prisma, channelIds, heartbeatTimeoutMs);
      const byChannel = new Map<string, VoiceParticipant[]>();
      for (const row of rows) byChannel.set(row.channelId, [...(byChannel.get(row.channelId) ?? []), row]);
      return channelIds.map((id) => byChannel.get(id) ?? []);
    }),
  };
}
