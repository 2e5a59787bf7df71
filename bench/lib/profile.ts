// Reads a V8 .cpuprofile (node --cpu-prof) into self-time tables: by function and by package.
import { readFileSync } from 'node:fs';

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: CpuNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileRow {
  name: string;
  selfMs: number;
  /** Share of the busy (non-idle) time. */
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  busyMs: number;
  byPackage: ProfileRow[];
  byFunction: ProfileRow[];
  /** Time with the function anywhere on the stack (each function once per sample). */
  inclusive: ProfileRow[];
}

function packageOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const m = /\/(gateway|shared|subgraphs|bench)\/(.*)$/.exec(url);
  return m ? `project ${m[1]}/` : url;
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const m = /\/((gateway|shared|subgraphs|bench)\/.*)$/.exec(url);
  return m ? m[1] : url.replace(/^file:\/\//, '');
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // The profiler's own calls (the session's `post` of Profiler.stop builds the profile on this
  // thread: 0.2 s in a 4 s window) are not the workload's: their samples are left out.
  const profilerOwn = (id: number) => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) if (byId.get(at)!.callFrame.url === 'node:inspector') return true;
    return false;
  };
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  for (const id of self.keys()) if (profilerOwn(id)) self.delete(id);
  const pkg = new Map<string, number>();
  const fns = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    total += us;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    const p = packageOf(url, functionName);
    pkg.set(p, (pkg.get(p) ?? 0) + us);
    const f = `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim();
    fns.set(f, (fns.get(f) ?? 0) + us);
  }
  const busy = total - idle;
  // Inclusive: walk each sampled node's stack once, crediting every distinct function on it.
  const key = (n: CpuNode) => {
    const { functionName, url, lineNumber } = n.callFrame;
    return `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim();
  };
  const incl = new Map<string, number>();
  for (const [id, us] of self) {
    if (byId.get(id)!.callFrame.functionName === '(idle)') continue;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const n = byId.get(at)!;
      if (!n.callFrame.url) continue; // roots, (program), natives: not informative
      const k = key(n);
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + us);
    }
  }
  // Skip the event loop's own frames (they hold everything) and keep the informative ones.
  const boring = /^(processTicksAndRejections|runMicrotasks|listOnTimeout|processTimers|emit|\(anonymous\)|onStreamRead|Readable\.push|addChunk|readableAddChunk|emitAfterScript|processImmediate|afterWrite|onwrite|callbackTrampoline) /;
  for (const k of [...incl.keys()]) if (boring.test(k) || k.includes('node:internal/') || k.includes('node:events')) incl.delete(k);
  const rows = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: Math.round(us / 100) / 10, share: busy > 0 ? Math.round((us / busy) * 1000) / 10 : 0 }));
  return { totalMs: Math.round(total / 1000), busyMs: Math.round(busy / 1000), byPackage: rows(pkg), byFunction: rows(fns), inclusive: rows(incl) };
}
