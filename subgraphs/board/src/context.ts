import type { BaseContext } from '@commons/shared';
import { createLoaders, type BoardLoaders } from './loaders';

export interface BoardContext extends BaseContext {
  loaders: BoardLoaders;
}

export const extendContext = (base: BaseContext): BoardContext => ({ ...base, loaders: createLoaders(base.prisma) });
