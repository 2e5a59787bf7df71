import type { BaseContext, RateLimiter } from '@commons/shared';
import type { MessagePageCache } from './domain/messageCache';
import type { TypingThrottle } from './domain/typing';
import { createLoaders, type MessageLoaders } from './loaders';

/** What the subgraph keeps for its lifetime (made once in server.ts), shared by every operation. */
export interface MessageServices {
  messageCache: MessagePageCache;
  sendLimiter: RateLimiter;
  typingThrottle: TypingThrottle;
}

export interface MessageContext extends BaseContext, MessageServices {
  loaders: MessageLoaders;
}

export const contextExtender =
  (services: MessageServices) =>
  (base: BaseContext): MessageContext => ({ ...base, ...services, loaders: createLoaders(base.prisma, base.viewer, services.messageCache, base.perRequest) });
