import { DateTimeScalar } from '@commons/shared';

/** The scalar all subgraphs share (shared/src/scalars.ts). */
export const DateTime = DateTimeScalar;
