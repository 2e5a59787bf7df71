import type { BaseContext } from '@commons/shared';
import { createLoaders, type MessageLoaders } from './loaders';

export interface MessageContext extends BaseContext {
  loaders: MessageLoaders;
}

export const extendContext = (base: BaseContext): MessageContext => ({ ...base, loaders: createLoaders(base.prisma) });
