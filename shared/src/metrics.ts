import type { ApolloServerPlugin } from '@apollo/server';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * One Prometheus registry per process (made in index.ts or start-all, passed down), with a
 * `service` label so the embedded mode's single process still tells its services apart.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const operations = new Counter({
    name: 'graphql_operations_total',
    help: 'GraphQL operations by service, operation name, type and outcome',
    labelNames: ['service', 'operation', 'type', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'graphql_operation_duration_seconds',
    help: 'GraphQL operation latency by service and operation name',
    labelNames: ['service', 'operation'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const subgraphFetch = new Histogram({
    name: 'gateway_subgraph_fetch_duration_seconds',
    help: 'Latency of the gateway fetches to each subgraph, by outcome',
    labelNames: ['subgraph', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const pubsubEvents = new Counter({
    name: 'pubsub_events_total',
    help: 'Pub/sub events published (out) and delivered to local subscribers (in)',
    labelNames: ['service', 'direction'] as const,
    registers: [registry],
  });
  const pubsubErrors = new Counter({
    name: 'pubsub_publish_errors_total',
    help: 'Publishes that failed after their write was committed (the write stands; subscribers catch up with after:)',
    labelNames: ['service'] as const,
    registers: [registry],
  });
  const cache = new Counter({
    name: 'cache_requests_total',
    help: 'Cache lookups by cache and result (hit or miss)',
    labelNames: ['cache', 'result'] as const,
    registers: [registry],
  });

  return {
    registry,
    operations,
    duration,
    subgraphFetch,
    pubsubEvents,
    pubsubErrors,
    cache,
    /** A gauge whose value is read when Prometheus scrapes. */
    gauge(name: string, help: string, read: () => number) {
      new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
    },
    /** Counts and times every operation this Apollo Server runs. */
    apolloPlugin(service: string): ApolloServerPlugin {
      return {
        async requestDidStart() {
          const started = process.hrtime.bigint();
          return {
            async willSendResponse({ operationName, operation, errors }) {
              const name = operationName ?? 'anonymous';
              operations.inc({ service, operation: name, type: operation?.operation ?? 'unknown', outcome: errors?.length ? 'error' : 'ok' });
              duration.observe({ service, operation: name }, Number(process.hrtime.bigint() - started) / 1e9);
            },
          };
        },
      };
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
