/**
 * Entities this subgraph only references: the gateway resolves their other fields elsewhere,
 * except those the subscriptions provide, which live events carry (see LiveMessage).
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
