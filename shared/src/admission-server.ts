import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createSourceEventStream, GraphQLError, type DocumentNode, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { WebSocket, WebSocketServer } from 'ws';
import { FORWARDED_USER_HEADER, type Viewer } from './auth';
import type { CheckedDocument } from './document-cache';
import {
  ADMISSION_MAX_PAYLOAD,
  AdmissionCloseCode,
  parseGatewayAdmissionMessage,
  type GatewayAdmissionMessage,
  type SubgraphAdmissionMessage,
} from './live-admission';
import type { Logger } from './logger';

export interface AdmissionServerOptions {
  schema: GraphQLSchema;
  /** The parsed and validated document of a query text (cached, shared with graphql-ws). */
  checkDocument: (schema: GraphQLSchema, query: string) => CheckedDocument;
  verifyForwardedUser: (token: string | undefined) => Promise<Viewer | null>;
  /** The context a subscribe resolver runs with for `viewer`, marked `liveAdmission`. */
  admissionContext: (viewer: Viewer | null) => unknown;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  logger: Logger;
  /** How often a silent gateway is pinged; one that missed the previous ping is dropped. */
  heartbeatMs?: number;
}

/** An `op` as the subgraph keeps it: ready to run, or the errors every admission to it ends with. */
type Stream = { document: DocumentNode; operationName?: string; variables?: Record<string, unknown> } | { errors: GraphQLFormattedError[] };

/** A subscribe resolver still running for this admission: its iterator is not known yet. */
const STARTING = Symbol('starting');

/**
 * The subgraph's end of the admission protocol (see live-admission.ts): per admission, the
 * subscription's own subscribe resolver runs as the caller with `liveAdmission` set, so it
 * returns a stream that yields nothing and ends (with the subscription's own error) once the
 * caller loses access. Only that stream is kept; `leave` and a closed socket return it.
 */
export function createAdmissionServer(options: AdmissionServerOptions) {
  const { logger, formatError } = options;
  const wsServer = new WebSocketServer({ noServer: true, maxPayload: ADMISSION_MAX_PAYLOAD });
  const format = (error: unknown): GraphQLFormattedError => {
    // As graphql-ws does with an error thrown by a subscription's stream.
    const graphqlError = error instanceof GraphQLError ? error : new GraphQLError(String((error as Error)?.message ?? error), { originalError: error as Error });
    return formatError(graphqlError.toJSON(), graphqlError);
  };

  function serve(socket: WebSocket): void {
    const streams = new Map<number, Stream>();
    const admissions = new Map<number, AsyncIterator<unknown> | typeof STARTING>();
    let alive = true;
    const heartbeat = setInterval(() => {
      if (!alive) return void socket.close(AdmissionCloseCode.Unresponsive, 'No heartbeat');
      alive = false;
      socket.ping();
    }, options.heartbeatMs ?? 30_000);
    heartbeat.unref();

    const send = (message: SubgraphAdmissionMessage) => {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    };
    const refuse = (reason: string) => socket.close(AdmissionCloseCode.BadMessage, reason);

    /** The caller's admission stream, or the errors the subscription refuses them with. */
    const start = async (stream: Stream, user: string): Promise<AsyncIterator<unknown> | GraphQLFormattedError[]> => {
      if ('errors' in stream) return stream.errors;
      try {
        const viewer = await options.verifyForwardedUser(user);
        const started = await createSourceEventStream({
          schema: options.schema,
          document: stream.document,
          operationName: stream.operationName,
          variableValues: stream.variables,
          contextValue: options.admissionContext(viewer),
        });
        if (Symbol.asyncIterator in started) return started[Symbol.asyncIterator]();
        return (started.errors ?? []).map((e) => formatError(e.toJSON(), e));
      } catch (err) {
        return [format(err)];
      }
    };

    const admit = async (id: number, stream: Stream, user: string) => {
      const watch = await start(stream, user);
      if (admissions.get(id) !== STARTING) {
        // Left, or the socket closed, while the subscribe resolver ran.
        if (!Array.isArray(watch)) void watch.return?.();
        return;
      }
      if (Array.isArray(watch)) {
        admissions.delete(id);
        return send({ type: 'ended', id, errors: watch });
      }
      admissions.set(id, watch);
      send({ type: 'admitted', id });
      let errors: GraphQLFormattedError[] | undefined;
      try {
        // Admission streams yield nothing (see guardChannelStream); any other stream's events are not ours to send.
        while (!(await watch.next()).done);
      } catch (err) {
        errors = [format(err)];
      }
      if (admissions.get(id) !== watch) return;
      admissions.delete(id);
      send({ type: 'ended', id, ...(errors ? { errors } : {}) });
    };

    const handle = (message: GatewayAdmissionMessage) => {
      switch (message.type) {
        case 'op': {
          if (streams.has(message.op)) return refuse('Duplicate op');
          const checked = options.checkDocument(options.schema, message.query);
          streams.set(
            message.op,
            'errors' in checked
              ? { errors: checked.errors.map((e) => formatError(e.toJSON(), e)) }
              : { document: checked.document, operationName: message.operationName ?? undefined, variables: message.variables ?? undefined },
          );
          return;
        }
        case 'forget':
          streams.delete(message.op);
          return;
        case 'admit': {
          const stream = streams.get(message.op);
          if (!stream) return refuse('Unknown op');
          if (admissions.has(message.id)) return refuse('Duplicate admission id');
          admissions.set(message.id, STARTING);
          void admit(message.id, stream, message.user);
          return;
        }
        case 'leave': {
          const watch = admissions.get(message.id);
          admissions.delete(message.id);
          if (watch !== undefined && watch !== STARTING) void watch.return?.();
        }
      }
    };

    socket.on('pong', () => void (alive = true));
    socket.on('message', (data, isBinary) => {
      alive = true;
      const message = isBinary ? undefined : parseGatewayAdmissionMessage(data);
      if (message) handle(message);
      else refuse('Not an admission message');
    });
    // ws closes the socket itself after an error (1009 for an oversized frame): only log it.
    socket.on('error', (err) => logger.warn({ err: err.message }, 'admission socket error'));
    socket.on('close', () => {
      clearInterval(heartbeat);
      for (const watch of admissions.values()) if (watch !== STARTING) void watch.return?.();
      admissions.clear();
      streams.clear();
    });
  }

  return {
    /**
     * Completes a WebSocket upgrade to the admission path once the gateway's token (the
     * FORWARDED_USER_HEADER header, as on HTTP) checks out; answers 401 otherwise.
     */
    async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
      socket.on('error', () => socket.destroy());
      try {
        await options.verifyForwardedUser(req.headers[FORWARDED_USER_HEADER] as string | undefined);
      } catch {
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      if (socket.destroyed) return;
      wsServer.handleUpgrade(req, socket, head, serve);
    },
    /** Open admission sockets (one per gateway replica). */
    get sockets(): number {
      return wsServer.clients.size;
    },
    close(): void {
      for (const client of wsServer.clients) client.close(AdmissionCloseCode.GoingAway, 'Going away');
    },
  };
}

export type AdmissionServer = ReturnType<typeof createAdmissionServer>;
