import {
  ADMISSION_MAX_PAYLOAD,
  ADMISSION_PATH,
  AdmissionCloseCode,
  FORWARDED_USER_HEADER,
  parseSubgraphAdmissionMessage,
  type GatewayAdmissionMessage,
  type Logger,
  type SubgraphAdmissionMessage,
} from '@commons/shared';
import type { GraphQLFormattedError } from 'graphql';
import WebSocket from 'ws';

/** The stream a subscriber asks to follow: a pipeline's primary fetch, one object per pipeline. */
export interface AdmissionOperation {
  query: string;
  operationName?: string;
  variables: Record<string, unknown>;
}

/** Told what became of one admission (the hub's Subscriber). */
export interface AdmissionListener {
  onAdmitted(): void;
  /**
   * The admission is over: the subscription's errors (refused, or access lost later), none (the
   * stream ended), or an Error when the connection to the subgraph was lost (an interruption).
   */
  onAdmissionEnded(outcome: ReadonlyArray<GraphQLFormattedError> | Error | undefined): void;
}

const CONNECTION_LOST = 'The admission connection to the subgraph was lost';

/**
 * The gateway's end of the admission protocol (see @commons/shared live-admission.ts): one
 * socket per subgraph, opened on demand. It does not reconnect by itself: when it drops,
 * every admission on it ends as an interruption (the subscriber is told to resubscribe), and
 * the next admission opens a new socket.
 */
export class AdmissionSockets {
  private readonly connections = new Map<string, AdmissionConnection>();
  /** Admission ids are never reused, across connections too, so a late `leave` cannot hit another one. */
  private lastId = 0;

  constructor(
    private readonly urls: Record<string, string>,
    private readonly signGateway: () => Promise<string>,
    private readonly logger: Logger,
    private readonly heartbeatMs = 10_000,
  ) {}

  /** Asks `service` to admit the caller whose signed token is `forwardedUser`; returns the id to leave with. */
  admit(service: string, operation: AdmissionOperation, forwardedUser: string, listener: AdmissionListener): number {
    const id = ++this.lastId;
    this.connection(service).admit(id, operation, forwardedUser, listener);
    return id;
  }

  /** Lets go of an admission; one already ended (or on a lost connection) is ignored. */
  leave(service: string, id: number): void {
    this.connections.get(service)?.leave(id);
  }

  /** Open connections' admissions, for tests and metrics. */
  get size(): number {
    let admissions = 0;
    for (const connection of this.connections.values()) admissions += connection.size;
    return admissions;
  }

  private connection(service: string): AdmissionConnection {
    let connection = this.connections.get(service);
    if (connection) return connection;
    const httpUrl = this.urls[service];
    if (!httpUrl) throw new Error(`No URL for subgraph ${service}`);
    const url = new URL(ADMISSION_PATH, httpUrl.replace(/^http/, 'ws')).toString();
    connection = new AdmissionConnection(url, service, this.signGateway, this.logger, this.heartbeatMs, () => {
      if (this.connections.get(service) === connection) this.connections.delete(service);
    });
    this.connections.set(service, connection);
    return connection;
  }

  async close(): Promise<void> {
    await Promise.all([...this.connections.values()].map((c) => c.close()));
    this.connections.clear();
  }
}

interface StreamEntry {
  op: number;
  operation: AdmissionOperation;
  /** Admissions on this connection asking for the stream: the subgraph forgets it at zero. */
  admissions: number;
}

interface Admission {
  listener: AdmissionListener;
  stream: StreamEntry;
}

class AdmissionConnection {
  private socket?: WebSocket;
  /** Frames sent before the socket opened. */
  private outbox: string[] = [];
  private readonly admissions = new Map<number, Admission>();
  private readonly streams = new Map<AdmissionOperation, StreamEntry>();
  private lastOp = 0;
  private closed = false;
  private closing = false;
  private heartbeat?: NodeJS.Timeout;
  private readonly opened: Promise<void>;

  constructor(
    url: string,
    private readonly service: string,
    signGateway: () => Promise<string>,
    private readonly logger: Logger,
    private readonly heartbeatMs: number,
    private readonly onClosed: () => void,
  ) {
    this.opened = signGateway().then(
      (token) => this.open(url, token),
      (err) => this.drop(err),
    );
  }

  get size(): number {
    return this.admissions.size;
  }

  admit(id: number, operation: AdmissionOperation, user: string, listener: AdmissionListener): void {
    let stream = this.streams.get(operation);
    if (!stream) {
      stream = { op: ++this.lastOp, operation, admissions: 0 };
      this.streams.set(operation, stream);
      this.send({ type: 'op', op: stream.op, query: operation.query, operationName: operation.operationName, variables: operation.variables });
    }
    stream.admissions++;
    this.admissions.set(id, { listener, stream });
    this.send({ type: 'admit', id, op: stream.op, user });
  }

  leave(id: number): void {
    if (!this.admissions.has(id)) return;
    this.send({ type: 'leave', id });
    this.forget(id);
  }

  /** Drops an admission and, with its last admission, its stream; undefined when it was not there. */
  private forget(id: number): Admission | undefined {
    const admission = this.admissions.get(id);
    if (!admission) return undefined;
    this.admissions.delete(id);
    const { stream } = admission;
    if (--stream.admissions === 0) {
      this.streams.delete(stream.operation);
      this.send({ type: 'forget', op: stream.op });
    }
    return admission;
  }

  private send(message: GatewayAdmissionMessage): void {
    if (this.closed) return;
    const frame = JSON.stringify(message);
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(frame);
    else this.outbox.push(frame);
  }

  private open(url: string, token: string): void {
    if (this.closed) return;
    const socket = new WebSocket(url, { headers: { [FORWARDED_USER_HEADER]: token }, maxPayload: ADMISSION_MAX_PAYLOAD });
    this.socket = socket;
    let alive = true;
    socket.on('open', () => {
      for (const frame of this.outbox) socket.send(frame);
      this.outbox = [];
      this.heartbeat = setInterval(() => {
        if (!alive) return void socket.terminate();
        alive = false;
        socket.ping();
      }, this.heartbeatMs);
      this.heartbeat.unref();
    });
    socket.on('pong', () => void (alive = true));
    socket.on('message', (data, isBinary) => {
      alive = true;
      const message = isBinary ? undefined : parseSubgraphAdmissionMessage(data);
      if (message) this.receive(message);
      else socket.close(AdmissionCloseCode.BadMessage, 'Not an admission message');
    });
    socket.on('error', (err) => this.logger.warn({ service: this.service, err: err.message }, 'admission socket error'));
    socket.on('close', (code) => this.drop(new Error(`${CONNECTION_LOST} (${code})`)));
  }

  private receive(message: SubgraphAdmissionMessage): void {
    if (message.type === 'admitted') {
      this.admissions.get(message.id)?.listener.onAdmitted();
      return;
    }
    // Unknown ids are admissions this end let go of already.
    this.forget(message.id)?.listener.onAdmissionEnded(message.errors);
  }

  /** Every admission on the connection ends as an interruption; the next one opens a new connection. */
  private drop(err: unknown): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.onClosed();
    if (!this.closing) this.logger.warn({ service: this.service, err: (err as Error)?.message ?? String(err) }, 'admission connection lost');
    const lost = [...this.admissions.values()];
    this.admissions.clear();
    this.streams.clear();
    this.outbox = [];
    const failure = err instanceof Error ? err : new Error(CONNECTION_LOST);
    for (const { listener } of lost) listener.onAdmissionEnded(failure);
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.opened;
    const socket = this.socket;
    if (socket && socket.readyState !== WebSocket.CLOSED) {
      const gone = new Promise((resolve) => socket.once('close', resolve));
      socket.close(AdmissionCloseCode.GoingAway, 'Going away');
      await gone;
    } else {
      this.drop(new Error(CONNECTION_LOST));
    }
  }
}
