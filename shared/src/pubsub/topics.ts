/** Every pub/sub topic, typed by what is published on it. */
export const topics = {
  messageAdded: (channelId: string) => `channel:${channelId}:messages`,
  /** A message after an edit, delete, reaction change or pin (the message subgraph's MessageEvent). */
  messageUpdated: (channelId: string) => `channel:${channelId}:message-updates`,
  /** Ephemeral typing notices (TypingNotice): published, never stored. */
  typing: (channelId: string) => `channel:${channelId}:typing`,
  /** Membership changes, so live streams can drop a member who left or was removed. */
  membershipChanged: (channelId: string) => `channel:${channelId}:members`,
  /** Board: a thread as of its creation, or of a new post in it (the board's ThreadEvent). */
  threadActivity: (channelId: string) => `channel:${channelId}:threads`,
  /** Board: a new post in a thread (the board's PostEvent). */
  postAdded: (threadId: string) => `thread:${threadId}:posts`,
  /** Voice room changes (VoiceRoomEvent): who joined, left, or changed state. */
  voiceRoom: (channelId: string) => `channel:${channelId}:voice`,
  /** WebRTC signals addressed to one voice participant (VoiceSignalEvent). */
  voiceSignals: (participantId: string) => `voice:${participantId}:signals`,
} as const;

/** What live events carry of a user for the fields their subscriptions `@provide`. */
export interface UserProfile {
  handle: string;
  displayName: string;
  avatarUrl: string | null;
}

/** Someone is typing in a channel; `at` is an ISO date-time. */
export interface TypingNotice {
  channelId: string;
  userId: string;
  at: string;
  /** The typist as the notice was sent (absent when it could not be read). */
  user?: UserProfile;
}

export interface MembershipChangedEvent {
  channelId: string;
  userId: string;
  change: 'JOINED' | 'LEFT';
}

/** A voice participant as published: JSON-safe (dates as ISO strings). */
export interface VoiceParticipantPayload {
  id: string;
  channelId: string;
  userId: string;
  muted: boolean;
  deafened: boolean;
  speaking: boolean;
  joinedAt: string;
  lastHeartbeatAt: string;
}

/** Carries the whole participant, so a LEFT event resolves without the (deleted) row. */
export interface VoiceRoomEvent {
  kind: 'JOINED' | 'LEFT' | 'UPDATED';
  participant: VoiceParticipantPayload;
}

/** A relayed signal, or `closed` once the addressed participant has left: its stream ends. */
export type VoiceSignalEvent =
  | { signal: { fromParticipantId: string; toParticipantId: string; type: string; payload: string } }
  | { closed: true };
