/** Every pub/sub topic, typed by what is published on it. */
export const topics = {
  messageAdded: (channelId: string) => `channel:${channelId}:messages`,
  /** Membership changes, so live streams can drop a member who left or was removed. */
  membershipChanged: (channelId: string) => `channel:${channelId}:members`,
} as const;

export interface MembershipChangedEvent {
  channelId: string;
  userId: string;
  change: 'JOINED' | 'LEFT';
}
