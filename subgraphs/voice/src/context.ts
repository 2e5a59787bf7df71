import type { BaseContext, RateLimiter, VoiceConfig } from '@commons/shared';
import { createLoaders, type VoiceLoaders } from './loaders';

export interface VoiceContext extends BaseContext {
  loaders: VoiceLoaders;
  settings: VoiceConfig;
  /** Signals per sending participant, shared by every replica through Redis. */
  signalLimiter: RateLimiter;
}

/** The voice subgraph's part of each operation's context, over its process-wide settings and limiter. */
export const contextExtender =
  (settings: VoiceConfig, signalLimiter: RateLimiter) =>
  (base: BaseContext): VoiceContext => ({
    ...base,
    loaders: createLoaders(base.prisma, settings.heartbeatTimeoutMs),
    settings,
    signalLimiter,
  });
