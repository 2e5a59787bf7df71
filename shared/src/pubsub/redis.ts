import Redis from 'ioredis';
import type { Logger } from '../logger';
import type { PubSub } from './pubsub';
import { TopicListeners } from './pubsub';

export interface RedisPubSubOptions {
  url: string;
  /** Every topic is prefixed, so several deployments can share one Redis. */
  prefix: string;
  logger: Logger;
}

/**
 * Redis pub/sub over two connections: a subscriber connection is in subscribe mode and
 * cannot publish. ioredis re-subscribes the subscriber's channels after a reconnect.
 */
export class RedisPubSub implements PubSub {
  readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly listeners: TopicListeners;

  constructor(private readonly options: RedisPubSubOptions) {
    // While Redis is away a command fails within a second instead of waiting out reconnect
    // back-off: a publish after commit must not hold up the mutation's answer.
    const common = { lazyConnect: false, maxRetriesPerRequest: 2, enableOfflineQueue: true, commandTimeout: 1000 } as const;
    this.publisher = new Redis(options.url, { ...common, connectionName: `${options.prefix}pub` });
    this.subscriber = new Redis(options.url, { ...common, connectionName: `${options.prefix}sub` });
    for (const conn of [this.publisher, this.subscriber]) {
      conn.on('error', (err) => options.logger.warn({ err: err.message }, 'redis connection error'));
    }
    this.listeners = new TopicListeners(
      async (topic) => void (await this.subscriber.subscribe(this.key(topic))),
      async (topic) => void (await this.subscriber.unsubscribe(this.key(topic))),
    );
    this.subscriber.on('message', (channel: string, message: string) => {
      let payload: unknown;
      try {
        payload = JSON.parse(message);
      } catch {
        options.logger.warn({ channel }, 'dropped a pub/sub message that is not JSON');
        return;
      }
      this.listeners.deliver(channel.slice(options.prefix.length), payload);
    });
  }

  private key(topic: string): string {
    return this.options.prefix + topic;
  }

  async publish(topic: string, payload: unknown): Promise<void> {
    await this.publisher.publish(this.key(topic), JSON.stringify(payload));
  }

  subscribe<T>(topic: string) {
    return this.listeners.add<T>(topic);
  }

  async ping(): Promise<void> {
    await this.publisher.ping();
  }

  async dispose(): Promise<void> {
    await Promise.allSettled([this.subscriber.quit(), this.publisher.quit()]);
  }
}
