import { readFileSync, watch } from 'node:fs';
import type { SupergraphManager } from '@apollo/gateway';
import type { Logger } from '@commons/shared';

/**
 * Serves the supergraph composed at build time (`npm run compose`). With `watch`, a new
 * composition written to the file is picked up without a restart (development).
 */
export function fileSupergraph(path: string, options: { watch: boolean; logger: Logger }): SupergraphManager {
  return {
    async initialize({ update }) {
      const supergraphSdl = readFileSync(path, 'utf8');
      if (!options.watch) return { supergraphSdl };
      let last = supergraphSdl;
      const watcher = watch(path, () => {
        try {
          const next = readFileSync(path, 'utf8');
          if (!next.trim() || next === last) return;
          last = next;
          update(next);
          options.logger.info('supergraph reloaded');
        } catch (err) {
          options.logger.warn({ err: (err as Error).message }, 'supergraph reload failed; keeping the previous one');
        }
      });
      return { supergraphSdl, cleanup: async () => watcher.close() };
    },
  };
}
