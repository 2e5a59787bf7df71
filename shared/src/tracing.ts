// OpenTelemetry traces, off unless an OTLP endpoint is configured. The OTEL_* variables are read
// here and by the SDK itself, not by config.ts: tracing starts in a preload (tracing-preload.ts),
// before the instrumented modules, and config, load. The SDK is required lazily so that, when
// tracing is off, no @opentelemetry package but the API that @apollo/gateway already uses is
// loaded, and that API stays a no-op.
import type { NodeSDK } from '@opentelemetry/sdk-node';

let sdk: NodeSDK | undefined;

/** Whether this environment asks for traces: an OTLP endpoint is set and the SDK is not disabled. */
export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const endpoint = (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT || '').trim();
  return endpoint !== '' && !/^\s*(true|1)\s*$/i.test(env.OTEL_SDK_DISABLED ?? '');
}

/**
 * The service a process runs, from its entry script: `gateway/src/index.ts`, `subgraphs/<name>/src/index.ts`,
 * or anything else (`npm start` runs the whole stack in one process) `commons`.
 */
export function serviceNameOf(entry = process.argv[1] ?? ''): string {
  const match = /(?:^|[\\/])(?:subgraphs[\\/](\w+)|(gateway))[\\/]src[\\/]index\.[cm]?[jt]s$/.exec(entry);
  return match?.[1] ?? match?.[2] ?? 'commons';
}

/**
 * Starts the Node SDK: spans of incoming HTTP (http, express), outgoing undici requests (the
 * gateway's subgraph fetches), pg (Prisma's queries, through @prisma/adapter-pg) and ioredis,
 * with @apollo/gateway's own spans, exported by OTLP and propagated as W3C `traceparent`.
 * Exporter, sampler, propagators and resource follow the standard OTEL_* variables.
 */
export function startTracing(env: NodeJS.ProcessEnv = process.env): boolean {
  if (sdk || !tracingEnabled(env)) return Boolean(sdk);
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { ExpressInstrumentation, ExpressLayerType } = require('@opentelemetry/instrumentation-express') as typeof import('@opentelemetry/instrumentation-express');
  const { UndiciInstrumentation } = require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
  const { PgInstrumentation } = require('@opentelemetry/instrumentation-pg') as typeof import('@opentelemetry/instrumentation-pg');
  const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis');

  const service = env.OTEL_SERVICE_NAME?.trim() || serviceNameOf();
  // Export failures stay inside the SDK (retried, then dropped); OTEL_LOG_LEVEL shows them on the
  // console. No logger of ours by default: the global one would also print @apollo/gateway's own
  // usage-metrics export failing wherever apollographql.com is out of reach.
  sdk = new NodeSDK({
    serviceName: service,
    // Traces only: metrics are Prometheus' (/metrics), logs are pino's.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        // Probes and scrapes every few seconds would bury the requests; ignored requests also
        // suppress what they cause (the gateway's /ready fetches each subgraph's /health).
        ignoreIncomingRequestHook: (req) => /^\/(health|ready|metrics)(\?|$)/.test(req.url ?? ''),
        requireParentforOutgoingSpans: true,
      }),
      // Names the server span after its route; a span per middleware would be noise.
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE, ExpressLayerType.ROUTER] }),
      // Covers undici.fetch, undici.request and Node's fetch alike (diagnostics_channel).
      new UndiciInstrumentation({ requireParentforSpans: true }),
      // Background work (the voice sweeper, pool upkeep) would otherwise start a trace per tick.
      new PgInstrumentation({ requireParentSpan: true }),
      new IORedisInstrumentation({ requireParentSpan: true }),
    ],
  });
  sdk.start();
  return true;
}

/** Exports the spans still buffered, waiting at most `timeoutMs` (an unreachable collector must not hold up an exit). */
export async function stopTracing(timeoutMs = 2000): Promise<void> {
  const stopping = sdk?.shutdown().catch(() => {});
  sdk = undefined;
  if (!stopping) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([stopping, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
}
