import type { BaseContext } from '@commons/shared';
import { createLoaders, type ChannelLoaders } from './loaders';

export interface ChannelContext extends BaseContext {
  loaders: ChannelLoaders;
}

export const extendContext = (base: BaseContext): ChannelContext => ({ ...base, loaders: createLoaders(base.prisma) });
