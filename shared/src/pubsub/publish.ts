import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import type { PubSub } from './pubsub';

/**
 * Publishes an event about a write that has already committed. A failure is logged and
 * counted, never thrown: the write stands, and subscribers catch up from the database
 * (`after:`) when they resubscribe.
 */
export async function publishAfterCommit(
  deps: { pubsub: PubSub; logger: Logger; metrics: Metrics },
  topic: string,
  payload: unknown,
): Promise<void> {
  try {
    await deps.pubsub.publish(topic, payload);
    deps.metrics.pubsubEvents.inc({ service: serviceOf(deps.logger), direction: 'out' });
  } catch (err) {
    deps.metrics.pubsubErrors.inc({ service: serviceOf(deps.logger) });
    deps.logger.error({ err, topic }, 'publish failed after commit');
  }
}

const serviceOf = (logger: Logger) => String((logger.bindings() as { service?: string }).service ?? 'unknown');
