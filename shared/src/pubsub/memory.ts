import type { PubSub } from './pubsub';
import { TopicListeners } from './pubsub';

/** In-process pub/sub for the embedded run mode, where every service shares one process. */
export class MemoryPubSub implements PubSub {
  private readonly listeners = new TopicListeners(async () => {}, async () => {});

  async publish(topic: string, payload: unknown): Promise<void> {
    // A JSON round trip, as Redis does, so subscribers never share or mutate the publisher's object.
    const copy = JSON.parse(JSON.stringify(payload));
    queueMicrotask(() => this.listeners.deliver(topic, copy));
  }

  subscribe<T>(topic: string) {
    return this.listeners.add<T>(topic);
  }

  async ping(): Promise<void> {}

  async dispose(): Promise<void> {}
}
