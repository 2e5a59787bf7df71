// The bench's side of its process protocol (see child.ts): fork a TypeScript child through tsx,
// wait (bounded) until it is ready, send it commands, stop it.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ProcStats } from './child';

export interface Proc<Info = any> {
  readonly name: string;
  readonly pid: number;
  readonly info: Info;
  call<T = any>(cmd: string, args?: unknown, timeoutMs?: number): Promise<T>;
  stats(): Promise<ProcStats>;
  stop(timeoutMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Kills every child this bench started (each by its own pid), e.g. on a crash. */
export function killAllChildren(): void {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

export async function startProc<Info = any>(
  name: string,
  file: string,
  options: { env?: Record<string, string>; execArgv?: string[]; args?: string[]; readyTimeoutMs?: number } = {},
): Promise<Proc<Info>> {
  const child = fork(path.resolve(__dirname, '..', 'procs', file), options.args ?? [], {
    execArgv: ['--import', 'tsx', '--expose-gc', ...(options.execArgv ?? [])],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  running.add(child);
  let seq = 0;
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`${name} exited (${code ?? signal}) during a command`));
      }
      pending.clear();
      resolve();
    });
  });

  const info = await new Promise<Info>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${options.readyTimeoutMs ?? 60_000} ms`));
    }, options.readyTimeoutMs ?? 60_000);
    const onMessage = (msg: { ready?: boolean; info?: Info; error?: string }) => {
      if (msg.ready === undefined) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      if (msg.ready) resolve(msg.info as Info);
      else reject(new Error(`${name} failed to start:\n${msg.error}`));
    };
    child.on('message', onMessage);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready`));
    });
  });

  child.on('message', (msg: { id?: number; ok?: boolean; result?: unknown; error?: string }) => {
    if (msg.id === undefined) return;
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.ok) p.resolve(msg.result);
    else p.reject(new Error(`${name}: ${msg.error}`));
  });

  const call = <T>(cmd: string, args?: unknown, timeoutMs = 120_000) =>
    new Promise<T>((resolve, reject) => {
      const id = ++seq;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${name}: ${cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
      child.send({ id, cmd, args });
    });

  return {
    name,
    pid: child.pid!,
    info,
    call,
    stats: () => call<ProcStats>('stats'),
    async stop(timeoutMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const fuse = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await call('exit', undefined, timeoutMs).catch(() => child.kill('SIGKILL'));
      await exited;
      clearTimeout(fuse);
    },
  };
}

/**
 * The V8/node flags a package.json start script runs its service with (everything between `node`
 * and the entry file but the `--import` preloads), so the bench runs our services as deployed.
 */
export function startScriptNodeFlags(script: string): string[] {
  const pkg = JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8'));
  const words: string[] = String(pkg.scripts?.[script] ?? '').split(/\s+/).filter(Boolean);
  if (words[0] !== 'node') throw new Error(`package.json's ${script} does not start with node`);
  const flags: string[] = [];
  for (let i = 1; i < words.length - 1; i++) {
    if (words[i] === '--import') i++;
    else flags.push(words[i]);
  }
  return flags;
}
