// A subscription that stays up: when it errors or ends (the socket dropped, a subgraph
// restarted: the gateway ends the subscription with UNAVAILABLE), it subscribes again after a
// backoff, asking `variables()` afresh, so a message stream resumes from the newest cursor the
// client has. Errors that retrying cannot fix (access lost, bad input) stop it.
import { useApolloClient } from '@apollo/client/react';
import type { OperationVariables, TypedDocumentNode } from '@apollo/client';
import { useEffect, useRef, useState } from 'react';

export type LiveState = 'starting' | 'live' | 'retrying' | 'stopped';

const FINAL_CODES = new Set(['FORBIDDEN', 'NOT_FOUND', 'UNAUTHENTICATED', 'BAD_USER_INPUT']);
const MAX_BACKOFF_MS = 15_000;

function errorCodes(error: unknown): string[] {
  const e = error as { errors?: { extensions?: { code?: unknown } }[]; extensions?: { code?: unknown } } | undefined;
  const codes = [...(e?.errors ?? []), e].map((x) => x?.extensions?.code);
  return codes.filter((c): c is string => typeof c === 'string');
}

export function useLiveSubscription<TData, TVariables extends OperationVariables>(
  document: TypedDocumentNode<TData, TVariables>,
  options: {
    /** Resubscribes from scratch when this changes (e.g. the channel id). */
    key: string;
    skip?: boolean;
    /** Called at every (re)subscribe, so the variables can move on (the newest cursor). */
    variables: () => TVariables;
    onData: (data: TData) => void;
  },
): LiveState {
  const client = useApolloClient();
  const [state, setState] = useState<LiveState>('starting');
  const latest = useRef(options);
  latest.current = options;

  useEffect(() => {
    if (options.skip) return;
    let stopped = false;
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let current: { unsubscribe(): void } | undefined;

    const retry = (error?: unknown) => {
      current?.unsubscribe();
      current = undefined;
      if (stopped) return;
      if (errorCodes(error).some((c) => FINAL_CODES.has(c))) {
        setState('stopped');
        return;
      }
      setState('retrying');
      const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** attempt++) * (0.75 + Math.random() / 2);
      timer = setTimeout(start, delay);
    };

    function start() {
      let done = false;
      const finish = (error?: unknown) => {
        if (done) return;
        done = true;
        retry(error);
      };
      current = client.subscribe({ query: document, variables: latest.current.variables() }).subscribe({
        next: (result) => {
          if (done) return;
          if (result.error) return finish(result.error);
          if (result.data === undefined) return;
          attempt = 0;
          setState('live');
          latest.current.onData(result.data as TData);
        },
        error: finish,
        complete: () => finish(),
      });
    }

    setState('starting');
    start();
    return () => {
      stopped = true;
      clearTimeout(timer);
      current?.unsubscribe();
    };
  }, [client, document, options.key, options.skip]);

  return state;
}
