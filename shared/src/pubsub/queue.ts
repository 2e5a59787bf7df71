/**
 * A push-to-pull async iterator: producers `push`, one consumer `for await`s.
 * Written here because the iterator must also run a cleanup (unsubscribe) on `return()`,
 * which graphql-js calls when a client unsubscribes; the few lines do not justify a dependency.
 */
export interface AsyncQueue<T> extends AsyncIterableIterator<T> {
  push(value: T): void;
  fail(error: unknown): void;
  close(): void;
  readonly closed: boolean;
}

export function createAsyncQueue<T>(onClose: () => void = () => {}): AsyncQueue<T> {
  const buffered: T[] = [];
  const waiting: Array<{ resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }> = [];
  let closed = false;
  let failure: { error: unknown } | undefined;

  const finish = () => {
    if (closed) return;
    closed = true;
    onClose();
    for (const w of waiting.splice(0)) {
      if (failure) w.reject(failure.error);
      else w.resolve({ value: undefined, done: true });
    }
  };

  const queue: AsyncQueue<T> = {
    get closed() {
      return closed;
    },
    push(value) {
      if (closed) return;
      const w = waiting.shift();
      if (w) w.resolve({ value, done: false });
      else buffered.push(value);
    },
    fail(error) {
      if (closed) return;
      failure = { error };
      finish();
    },
    close: finish,
    next() {
      if (buffered.length > 0) return Promise.resolve({ value: buffered.shift() as T, done: false });
      if (closed) {
        if (failure) {
          const { error } = failure;
          failure = undefined;
          return Promise.reject(error);
        }
        return Promise.resolve({ value: undefined, done: true });
      }
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
    return() {
      buffered.length = 0;
      finish();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(error) {
      buffered.length = 0;
      finish();
      return Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return queue;
    },
  };
  return queue;
}
