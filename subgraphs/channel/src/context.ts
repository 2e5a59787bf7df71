import type { BaseContext, Viewer } from '@commons/shared';
import type { ViewerProfiles } from './domain/users';
import { createLoaders, type ChannelLoaders } from './loaders';

export interface ChannelContext extends BaseContext {
  loaders: ChannelLoaders;
  /**
   * The signed-in caller, once their `users` row exists and matches their claims;
   * UNAUTHENTICATED when anonymous. Every resolver that needs a caller starts here.
   */
  requireViewer(): Promise<Viewer>;
}

/** Builds the per-operation context; `profiles` lives as long as the server. */
export function extendContext(base: BaseContext, profiles: ViewerProfiles): ChannelContext {
  let synced: Promise<Viewer> | undefined;
  return {
    ...base,
    loaders: createLoaders(base),
    requireViewer() {
      const viewer = base.access.requireViewer();
      synced ??= profiles.sync(viewer).then(() => viewer);
      return synced;
    },
  };
}
