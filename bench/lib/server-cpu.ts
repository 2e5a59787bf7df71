// The CPU time of the machine's PostgreSQL and Redis servers, read from /proc, so the bench can
// say how much of a request's cost is theirs: they serve every gateway alike, and on a 2-core
// machine they are part of what dilutes the ratios between them. No library reads another
// process's /proc stat; this is a dozen lines.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux the bench runs on

/**
 * Microseconds of CPU that processes named `name` (`postgres`, `redis-server`) have used, or
 * undefined where there is no /proc. Exited children (Postgres backends) count through their
 * parent's cutime and cstime, so the total only grows.
 */
export function serverCpuUs(name: string): number | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  let ticks = 0;
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone since the listing
    }
    // comm may hold spaces and parentheses: the fields after it start after the last ')'.
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    if (stat.slice(open + 1, close) !== name) continue;
    const fields = stat.slice(close + 2).split(' ');
    // utime, stime, cutime, cstime are fields 14-17 of stat; fields[0] here is field 3.
    for (let i = 11; i <= 14; i++) ticks += Number(fields[i]);
  }
  return (ticks * 1_000_000) / TICKS_PER_SECOND;
}

/** The Postgres and Redis servers' CPU so far, in microseconds (undefined without /proc). */
export const serversCpuUs = () => ({ postgres: serverCpuUs('postgres'), redis: serverCpuUs('redis-server') });

/** Their CPU per request between two readings, in milliseconds. */
export function serversCpuMsPerReq(before: ReturnType<typeof serversCpuUs>, after: ReturnType<typeof serversCpuUs>, requests: number) {
  const per = (a?: number, b?: number) => (a !== undefined && b !== undefined ? (b - a) / 1000 / requests : undefined);
  return { postgresCpuMsPerReq: per(before.postgres, after.postgres), redisCpuMsPerReq: per(before.redis, after.redis) };
}
