import { createAsyncQueue, type AsyncQueue } from './queue';

/**
 * Topic-based pub/sub between every replica of every service. Payloads are JSON values.
 * `subscribe` resolves once the subscription is active on the broker, so a caller that
 * subscribes and then reads the database cannot miss an event published in between.
 */
export interface PubSub {
  publish(topic: string, payload: unknown): Promise<void>;
  subscribe<T>(topic: string): Promise<AsyncQueue<T>>;
  /** Resolves when the broker answers; rejects when it cannot be reached. */
  ping(): Promise<void>;
  dispose(): Promise<void>;
}

type Listener = (payload: unknown) => void;

/** Local fan-out shared by both implementations: one broker subscription per topic, many listeners. */
export class TopicListeners {
  private readonly byTopic = new Map<string, Set<Listener>>();

  constructor(
    private readonly onFirst: (topic: string) => Promise<void>,
    private readonly onLast: (topic: string) => Promise<void>,
  ) {}

  async add<T>(topic: string): Promise<AsyncQueue<T>> {
    let listeners = this.byTopic.get(topic);
    const first = !listeners;
    if (!listeners) {
      listeners = new Set();
      this.byTopic.set(topic, listeners);
    }
    const queue = createAsyncQueue<T>(() => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.byTopic.get(topic) === listeners) {
        this.byTopic.delete(topic);
        void this.onLast(topic).catch(() => {});
      }
    });
    const listener: Listener = (payload) => queue.push(payload as T);
    listeners.add(listener);
    if (first) {
      try {
        await this.onFirst(topic);
      } catch (err) {
        queue.close();
        throw err;
      }
    }
    return queue;
  }

  deliver(topic: string, payload: unknown): void {
    const listeners = this.byTopic.get(topic);
    if (!listeners) return;
    for (const listener of listeners) listener(payload);
  }

  get topicCount(): number {
    return this.byTopic.size;
  }
}
