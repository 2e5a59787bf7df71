import type { GraphQLFormattedError } from 'graphql';

/*
 * The admission protocol: how the gateway asks the subgraph that owns a subscription's root
 * field whether a caller may follow a stream the gateway already follows for everyone, and
 * learns when they no longer may. One WebSocket per subgraph, at ADMISSION_PATH beside
 * graphql-ws's /graphql, authenticated at the upgrade by the gateway's signed token (the
 * FORWARDED_USER_HEADER header), JSON text frames:
 *
 *   gateway -> subgraph   {type:'op', op, query, operationName?, variables?}   once per stream
 *                         {type:'forget', op}                                  when no admission uses it
 *                         {type:'admit', id, op, user}   user: the caller's gateway-signed token
 *                         {type:'leave', id}
 *   subgraph -> gateway   {type:'admitted', id}
 *                         {type:'ended', id, errors?}    refused at once, or access lost later
 *
 * Why not graphql-ws (as before) or another library: a graphql-ws subscription per admission
 * keeps a whole operation on both ends (its subscribe message with the caller's token,
 * listeners, promises, an operation context) and its client hands every message to every
 * listener, all to carry one bit per caller. No protocol we know of says only "may this caller
 * follow this stream, and tell me when they may not"; this one says that and nothing else.
 */

/**
 * A subscribe-message extension by which the gateway asks a subgraph's graphql-ws server to say
 * when the subscription is active on its broker: graphql-ws has no such message, and until then
 * an event published is not the subscriber's to expect. The subgraph answers with one `next`
 * whose payload is LIVE_MARKER before any event; other clients (who do not ask) never see it.
 */
export const LIVE_MARKER_EXTENSION = 'x-commons-live';

export const LIVE_MARKER = Object.freeze({ data: null, extensions: Object.freeze({ [LIVE_MARKER_EXTENSION]: true }) });

export const isLiveMarker = (result: { data?: unknown; extensions?: Record<string, unknown> }) =>
  result.data === null && result.extensions?.[LIVE_MARKER_EXTENSION] === true;

/** Where a subgraph serves admissions (the same HTTP server as /graphql). */
export const ADMISSION_PATH = '/admission';

/**
 * The largest frame either end accepts: an `op` carries the primary fetch's query and
 * variables, which the gateway took from a client frame of at most 64 KiB.
 */
export const ADMISSION_MAX_PAYLOAD = 256 * 1024;

/** Close codes of an admission socket; on any close the gateway ends that socket's admissions. */
export enum AdmissionCloseCode {
  /** The subgraph or the gateway is shutting down. */
  GoingAway = 1001,
  /** A frame that is not a message of this protocol, a duplicate admission id, or an unknown op. */
  BadMessage = 4400,
  /** No heartbeat answer: the peer is gone without a close. */
  Unresponsive = 4408,
}

export type GatewayAdmissionMessage =
  | { type: 'op'; op: number; query: string; operationName?: string | null; variables?: Record<string, unknown> | null }
  | { type: 'forget'; op: number }
  | { type: 'admit'; id: number; op: number; user: string }
  | { type: 'leave'; id: number };

export type SubgraphAdmissionMessage =
  | { type: 'admitted'; id: number }
  | { type: 'ended'; id: number; errors?: GraphQLFormattedError[] };

const isId = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parseObject(data: unknown): Record<string, unknown> | undefined {
  try {
    const message: unknown = JSON.parse(String(data));
    return isObject(message) ? message : undefined;
  } catch {
    return undefined;
  }
}

/** A gateway frame as a message of the protocol, or undefined when it is not one. */
export function parseGatewayAdmissionMessage(data: unknown): GatewayAdmissionMessage | undefined {
  const m = parseObject(data);
  switch (m?.type) {
    case 'op':
      return isId(m.op) &&
        typeof m.query === 'string' &&
        (m.operationName == null || typeof m.operationName === 'string') &&
        (m.variables == null || isObject(m.variables))
        ? (m as GatewayAdmissionMessage)
        : undefined;
    case 'forget':
      return isId(m.op) ? (m as GatewayAdmissionMessage) : undefined;
    case 'admit':
      return isId(m.id) && isId(m.op) && typeof m.user === 'string' ? (m as GatewayAdmissionMessage) : undefined;
    case 'leave':
      return isId(m.id) ? (m as GatewayAdmissionMessage) : undefined;
    default:
      return undefined;
  }
}

/** A subgraph frame as a message of the protocol, or undefined when it is not one. */
export function parseSubgraphAdmissionMessage(data: unknown): SubgraphAdmissionMessage | undefined {
  const m = parseObject(data);
  switch (m?.type) {
    case 'admitted':
      return isId(m.id) ? (m as SubgraphAdmissionMessage) : undefined;
    case 'ended':
      return isId(m.id) && (m.errors === undefined || (Array.isArray(m.errors) && m.errors.every(isObject)))
        ? (m as SubgraphAdmissionMessage)
        : undefined;
    default:
      return undefined;
  }
}
