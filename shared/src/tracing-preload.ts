// Preloaded by the start scripts (`node --import tsx --import ./shared/src/tracing-preload.ts <entry>`):
// instrumentations hook `require`, so they must be in place before http, express, pg and ioredis load.
import { startTracing } from './tracing';

startTracing();
