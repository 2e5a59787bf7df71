// Load generation, in the bench's own process (never in a server's): autocannon for
// closed-loop throughput, and a sequential keep-alive loop for one-client latency.
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { build } from 'hdr-histogram-js';
import { Pool } from 'undici';

export interface HttpTarget {
  name: string;
  url: string;
  /** JSON body for POST; GET when absent. */
  body?: string;
  headers?: Record<string, string>;
  /** Headers per load connection, assigned round-robin (e.g. one user per connection). */
  perConnection?: Array<Record<string, string>>;
}

export interface ThroughputResult {
  rps: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

export async function throughput(target: HttpTarget, connections: number, durationS: number): Promise<ThroughputResult> {
  const headers = target.body ? { 'content-type': 'application/json', ...target.headers } : target.headers;
  let next = 0;
  const url = new URL(target.url);
  const r = await autocannon({
    url: target.url,
    connections,
    duration: durationS,
    timeout: 10,
    method: target.body ? 'POST' : 'GET',
    headers,
    body: target.body,
    requests: target.perConnection
      ? [
          {
            method: target.body ? 'POST' : 'GET',
            path: url.pathname + url.search,
            body: target.body,
            setupRequest: (req, context) => {
              context.headers ??= { ...headers, ...target.perConnection![next++ % target.perConnection!.length] };
              return { ...req, headers: context.headers as Record<string, string> };
            },
          },
        ]
      : undefined,
  });
  return {
    rps: r.requests.total / r.duration,
    requests: r.requests.total,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

/** One request, checked: a GraphQL response with data and no errors (autocannon reads no bodies). */
export async function checkGraphQL(target: HttpTarget, expect?: (data: any) => string | undefined): Promise<any> {
  const res = await fetch(target.url, {
    method: target.body ? 'POST' : 'GET',
    headers: target.body ? { 'content-type': 'application/json', ...target.headers } : target.headers,
    body: target.body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let json: { data?: unknown; errors?: unknown[] };
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${target.name}: non-JSON answer (${res.status}): ${text.slice(0, 300)}`);
  }
  if (!res.ok || json.errors?.length || !json.data) {
    throw new Error(`${target.name}: expected data, got (${res.status}) ${text.slice(0, 1000)}`);
  }
  const problem = expect?.(json.data);
  if (problem) throw new Error(`${target.name}: ${problem}`);
  return json.data;
}

/** One client, one request at a time over one keep-alive connection: latency in microseconds. */
export async function sequentialLatency(target: HttpTarget, durationMs: number, maxRequests = 20_000) {
  const url = new URL(target.url);
  const pool = new Pool(url.origin, { connections: 1, pipelining: 1 });
  const h = build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const headers = target.body ? { 'content-type': 'application/json', ...target.headers } : target.headers;
  const start = performance.now();
  let n = 0;
  let failures = 0;
  try {
    while (n < maxRequests && performance.now() - start < durationMs) {
      const t = performance.now();
      const res = await pool.request({ path: url.pathname + url.search, method: target.body ? 'POST' : 'GET', headers, body: target.body });
      await res.body.text();
      if (res.statusCode !== 200) failures++;
      h.recordValue(Math.max(1, Math.round((performance.now() - t) * 1000)));
      n++;
    }
  } finally {
    await pool.close();
  }
  return { requests: n, failures, p50Us: h.getValueAtPercentile(50), p90Us: h.getValueAtPercentile(90), p99Us: h.getValueAtPercentile(99) };
}
