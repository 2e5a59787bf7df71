import { once } from 'node:events';
import {
  ADMISSION_PATH,
  createForwardedUserSigner,
  FORWARDED_USER_HEADER,
  type GatewayAdmissionMessage,
  type SubgraphAdmissionMessage,
  type Viewer,
} from '@commons/shared';
import type { GraphQLFormattedError } from 'graphql';
import WebSocket from 'ws';
import type { AdmissionListener } from '../../gateway/src/subscriptions/admission';
import { waitFor } from './builders';
import { TEST_GATEWAY_SECRET } from './subgraph';

const sign = createForwardedUserSigner(TEST_GATEWAY_SECRET);
export const signForwardedUser = (viewer: Viewer | null) => sign(viewer);

/**
 * A raw admission socket to a subgraph, speaking the protocol as the gateway does (or, with
 * `token`, as anyone else might): every message received, and how the socket closed.
 */
export async function openAdmissionSocket(subgraphUrl: string, token?: string | null) {
  const url = new URL(ADMISSION_PATH, subgraphUrl.replace(/^http/, 'ws'));
  const headers: Record<string, string> = {};
  const gatewayToken = token === undefined ? await sign(null) : token;
  if (gatewayToken !== null) headers[FORWARDED_USER_HEADER] = gatewayToken;
  const socket = new WebSocket(url, { headers });
  const received: SubgraphAdmissionMessage[] = [];
  let closed: { code: number; reason: string } | undefined;
  socket.on('message', (data) => void received.push(JSON.parse(String(data))));
  socket.on('close', (code, reason) => void (closed = { code, reason: String(reason) }));
  socket.on('error', () => {});
  const [opened] = await Promise.race([
    once(socket, 'open').then(() => [true] as const),
    once(socket, 'unexpected-response').then(([, res]) => [(res as { statusCode: number }).statusCode] as const),
  ]);
  return {
    socket,
    /** true once open, or the HTTP status the upgrade was refused with. */
    opened,
    received,
    get closed() {
      return closed;
    },
    send: (message: GatewayAdmissionMessage | string) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    /** The messages about admission `id` so far. */
    about: (id: number) => received.filter((m) => m.id === id),
    waitFor: (id: number, type: SubgraphAdmissionMessage['type']) =>
      waitFor(() => received.some((m) => m.id === id && m.type === type), `admission ${id} to be ${type} (got ${JSON.stringify(received)})`),
    waitForClose: () => waitFor(() => closed !== undefined, 'the admission socket to close'),
    close: () => socket.close(),
  };
}

/** An admission listener (the gateway's end) that records what became of the admission. */
export function admissionRecorder() {
  const outcomes: Array<'admitted' | ReadonlyArray<GraphQLFormattedError> | Error | undefined> = [];
  const listener: AdmissionListener = {
    onAdmitted: () => void outcomes.push('admitted'),
    onAdmissionEnded: (outcome) => void outcomes.push(outcome),
  };
  return { outcomes, listener };
}
