/** Entities this subgraph only references: the gateway resolves their other fields elsewhere. */
export interface ChannelRef {
  id: string;
}

export interface UserRef {
  id: string;
}
