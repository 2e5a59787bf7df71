/**
 * Entities this subgraph only references: the gateway resolves their other fields elsewhere,
 * except those `messageAdded` provides, which a live message carries (see LiveMessage).
 */
export interface ChannelRef {
  id: string;
  name?: string;
}

export interface UserRef {
  id: string;
  handle?: string;
  displayName?: string;
  avatarUrl?: string | null;
}
