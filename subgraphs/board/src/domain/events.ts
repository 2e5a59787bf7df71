import { publishAfterCommit, topics, type ServiceDeps } from '@commons/shared';
import type { Post, Thread } from '@commons/shared/src/generated/prisma/client';

/** A thread as published on pub/sub: JSON-safe (dates as ISO strings). */
export interface ThreadEvent extends Omit<Thread, 'createdAt' | 'lastActivityAt'> {
  createdAt: string;
  lastActivityAt: string;
}

/** A post as published on pub/sub: JSON-safe (dates as ISO strings). */
export interface PostEvent extends Omit<Post, 'createdAt' | 'editedAt' | 'deletedAt'> {
  createdAt: string;
  editedAt: string | null;
  deletedAt: string | null;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);
const asDate = (value: string | null) => (value === null ? null : new Date(value));

export const toThreadEvent = (thread: Thread): ThreadEvent => ({
  ...thread,
  createdAt: thread.createdAt.toISOString(),
  lastActivityAt: thread.lastActivityAt.toISOString(),
});

export const toThreadRow = (event: ThreadEvent): Thread => ({
  ...event,
  createdAt: new Date(event.createdAt),
  lastActivityAt: new Date(event.lastActivityAt),
});

export const toPostEvent = (post: Post): PostEvent => ({
  ...post,
  createdAt: post.createdAt.toISOString(),
  editedAt: iso(post.editedAt),
  deletedAt: iso(post.deletedAt),
});

export const toPostRow = (event: PostEvent): Post => ({
  ...event,
  createdAt: new Date(event.createdAt),
  editedAt: asDate(event.editedAt),
  deletedAt: asDate(event.deletedAt),
});

type PublishDeps = Pick<ServiceDeps, 'pubsub' | 'logger' | 'metrics'>;

// Publishing runs after commit (publishAfterCommit: a failure is logged and counted, never
// thrown). A lost event is caught up by reading `Channel.threads` / `Thread.posts`.
const publish = (deps: PublishDeps, topic: string, payload: unknown) => publishAfterCommit(deps, topic, payload);

/** `threadActivity`: the thread, as of the commit that created it or added a post to it. */
export const publishThreadActivity = (deps: PublishDeps, thread: Thread) =>
  publish(deps, topics.threadActivity(thread.channelId), toThreadEvent(thread));

/** `postAdded`: a new reply, as stored. */
export const publishPostAdded = (deps: PublishDeps, post: Post) =>
  publish(deps, topics.postAdded(post.threadId), toPostEvent(post));
