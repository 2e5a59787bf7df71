import type { VoiceParticipant } from '@commons/shared/src/generated/prisma/client';
import type { IceServer } from './domain/ice';
import type { VoiceEventKind } from './domain/roomEvents';

/** Entities this subgraph only references: the gateway resolves their other fields elsewhere. */
export interface ChannelRef {
  id: string;
}

export interface UserRef {
  id: string;
}

export interface VoiceSessionModel {
  participant: VoiceParticipant;
  participants: VoiceParticipant[];
  iceServers: IceServer[];
  mediaToken: string | null;
  mediaUrl: string | null;
}

/** A room event; for LEFT the participant comes from the event, its row being gone. */
export interface VoiceEventModel {
  kind: VoiceEventKind;
  participant: VoiceParticipant;
}
