import { createSourceEventStream, type ExecutionArgs, type ExecutionResult } from 'graphql';

/**
 * The subscribe-message extension by which the gateway asks a subgraph only to admit a caller
 * to a stream the gateway already follows for everyone: run the subscription's access checks
 * as that caller, answer with one ADMITTED result, send no events, and end (with the error the
 * subscription would have ended with) once the caller loses access.
 */
export const LIVE_ADMISSION_EXTENSION = 'x-commons-admission';

export const ADMITTED: ExecutionResult = Object.freeze({ data: null, extensions: { admitted: true } });

export const isAdmitted = (result: ExecutionResult) => result.extensions?.admitted === true;

/**
 * graphql-js's `subscribe` minus the per-event execution: the root field's subscribe resolver
 * (with the caller's checks) runs, and the stream it returns (see guardChannelStream) only ends.
 * A hand-written iterator rather than an async generator, which could not be returned while
 * waiting on the stream.
 */
export async function admitSubscriber(args: ExecutionArgs): Promise<ExecutionResult | AsyncIterableIterator<ExecutionResult>> {
  const stream = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in stream)) return stream;
  const source = stream[Symbol.asyncIterator]();
  let answered = false;
  const admission: AsyncIterableIterator<ExecutionResult> = {
    async next() {
      if (!answered) {
        answered = true;
        return { value: ADMITTED, done: false };
      }
      for (;;) {
        const event = await source.next();
        if (event.done) return { value: undefined, done: true };
      }
    },
    async return() {
      await source.return?.();
      return { value: undefined, done: true };
    },
    async throw(error) {
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return admission;
    },
  };
  return admission;
}
