// The child side of the bench's process protocol: every server or load process the bench starts
// answers commands over Node's IPC channel, reports its CPU time, memory and event-loop delay,
// and exits when told to (or when the bench that started it goes away).
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';

export type Handler = (args: any) => unknown | Promise<unknown>;

export interface ProcStats {
  /** process.cpuUsage(), microseconds. */
  cpuUserUs: number;
  cpuSystemUs: number;
  rss: number;
  heapUsed: number;
  /** Resident pages of V8's young generation, which V8 grows and shrinks with the allocation rate. */
  youngResident: number;
  /** Event-loop delay since the last `resetEld`, milliseconds. */
  eld: { p50: number; p99: number; max: number; mean: number };
}

const eld = monitorEventLoopDelay({ resolution: 5 });
eld.enable();

const ms = (ns: number) => Math.round(ns / 1e4) / 100;

export function procStats(): ProcStats {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return {
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    rss: mem.rss,
    heapUsed: mem.heapUsed,
    youngResident: getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.physical_space_size ?? 0,
    eld: eld.count > 0 ? { p50: ms(eld.percentile(50)), p99: ms(eld.percentile(99)), max: ms(eld.max), mean: ms(eld.mean) } : { p50: 0, p99: 0, max: 0, mean: 0 },
  };
}

/**
 * Starts serving commands. `ready` is sent to the parent once `start` resolves. Built-in
 * commands: stats, resetEld, gc (needs --expose-gc), exit.
 */
export function serveChild(start: () => Promise<{ info: unknown; handlers?: Record<string, Handler>; close?: () => Promise<void> }>): void {
  if (!process.send) throw new Error('This file is a bench child process: start it through bench/run.ts');
  let handlers: Record<string, Handler> = {};
  let close: (() => Promise<void>) | undefined;
  let exiting = false;
  const exit = async (code: number) => {
    if (exiting) return;
    exiting = true;
    const fuse = setTimeout(() => process.exit(code), 5000);
    fuse.unref();
    try {
      await close?.();
    } catch {
      // closing is best effort; the process ends either way
    }
    process.exit(code);
  };
  let profiler: Session | undefined;
  const builtins: Record<string, Handler> = {
    /** V8's sampling CPU profiler (what --cpu-prof uses), over a chosen window only. */
    profileStart: async () => {
      profiler = new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.setSamplingInterval', { interval: 500 });
      await profiler.post('Profiler.start');
      return true;
    },
    profileStop: async (file: string) => {
      if (!profiler) throw new Error('no profile running');
      const { profile } = await profiler.post('Profiler.stop');
      profiler.disconnect();
      profiler = undefined;
      writeFileSync(file, JSON.stringify(profile));
      return file;
    },
    stats: () => procStats(),
    resetEld: () => {
      eld.reset();
      return true;
    },
    gc: async () => {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (!gc) return false;
      for (let i = 0; i < 3; i++) {
        gc();
        await new Promise((r) => setImmediate(r));
      }
      return true;
    },
  };
  process.on('message', async (msg: { id: number; cmd: string; args?: unknown }) => {
    if (msg.cmd === 'exit') {
      process.send!({ id: msg.id, ok: true, result: true }, () => void exit(0));
      return;
    }
    const handler = builtins[msg.cmd] ?? handlers[msg.cmd];
    try {
      if (!handler) throw new Error(`unknown command ${msg.cmd}`);
      const result = await handler(msg.args);
      process.send!({ id: msg.id, ok: true, result });
    } catch (err) {
      process.send!({ id: msg.id, ok: false, error: (err as Error)?.stack ?? String(err) });
    }
  });
  // The bench went away: do not linger.
  process.on('disconnect', () => void exit(0));
  start().then(
    (started) => {
      handlers = started.handlers ?? {};
      close = started.close;
      process.send!({ ready: true, info: started.info });
    },
    (err) => {
      process.send!({ ready: false, error: (err as Error)?.stack ?? String(err) });
      void exit(1);
    },
  );
}
