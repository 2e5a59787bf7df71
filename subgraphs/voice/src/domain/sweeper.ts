import type { ServiceDeps, VoiceConfig } from '@commons/shared';
import { deleteStaleParticipants } from './participants';
import { publishParticipantLeft } from './roomEvents';

const BATCH = 500;

/**
 * Removes every seat whose heartbeat is older than the timeout and announces each one (LEFT).
 * Safe to run on every replica at once: each row is deleted, and so announced, by one of them.
 * Returns how many this call removed.
 */
export async function sweepStaleParticipants(deps: Pick<ServiceDeps, 'prisma' | 'pubsub' | 'logger' | 'metrics'>, timeoutMs: number): Promise<number> {
  let removed = 0;
  for (;;) {
    const rows = await deleteStaleParticipants(deps.prisma, timeoutMs, BATCH);
    for (const row of rows) await publishParticipantLeft(deps, row);
    removed += rows.length;
    if (rows.length < BATCH) return removed;
  }
}

export interface Sweeper {
  start(): void;
  /** Stops the timer and waits for a sweep in progress, so its LEFT events go out before pub/sub closes. */
  stop(): Promise<void>;
}

/** Sweeps every `sweepIntervalMs`, one sweep at a time; a failed sweep is logged and retried next tick. */
export function createSweeper(deps: Pick<ServiceDeps, 'prisma' | 'pubsub' | 'logger' | 'metrics'>, settings: Pick<VoiceConfig, 'heartbeatTimeoutMs' | 'sweepIntervalMs'>): Sweeper {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = sweepStaleParticipants(deps, settings.heartbeatTimeoutMs)
      .then((removed) => {
        if (removed > 0) deps.logger.info({ removed }, 'removed voice participants without a heartbeat');
      })
      .catch((err) => deps.logger.error({ err }, 'voice sweep failed'))
      .finally(() => {
        running = undefined;
      });
  };
  return {
    start() {
      timer ??= setInterval(tick, settings.sweepIntervalMs).unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
