import { GraphQLError } from 'graphql';

/** The error codes of the public contract: every error a client sees carries one. */
export enum ErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  BAD_USER_INPUT = 'BAD_USER_INPUT',
  RATE_LIMITED = 'RATE_LIMITED',
  CONFLICT = 'CONFLICT',
  INTERNAL_SERVER_ERROR = 'INTERNAL_SERVER_ERROR',
  /** A live stream lost its upstream; resubscribe (with `after:` where offered) to catch up. */
  UNAVAILABLE = 'UNAVAILABLE',
}

/** Codes whose messages are written for clients; anything else is masked in production. */
export const CLIENT_ERROR_CODES: ReadonlySet<string> = new Set([
  ErrorCode.UNAUTHENTICATED,
  ErrorCode.FORBIDDEN,
  ErrorCode.NOT_FOUND,
  ErrorCode.BAD_USER_INPUT,
  ErrorCode.RATE_LIMITED,
  ErrorCode.CONFLICT,
  ErrorCode.UNAVAILABLE,
  // Apollo Server's own refusals of a malformed HTTP request (no body, CSRF, a mutation over GET).
  'BAD_REQUEST',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

const error = (code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) =>
  new GraphQLError(message, { extensions: { code, ...extensions } });

export const unauthenticated = (message = 'Sign in to do this') => error(ErrorCode.UNAUTHENTICATED, message);
export const forbidden = (message = 'You may not do this') => error(ErrorCode.FORBIDDEN, message);
export const notFound = (what: string) => error(ErrorCode.NOT_FOUND, `${what} not found`);
export const badInput = (message: string, field?: string) =>
  error(ErrorCode.BAD_USER_INPUT, message, field ? { field } : {});
export const conflict = (message: string) => error(ErrorCode.CONFLICT, message);
export const rateLimited = (retryAfterMs: number) =>
  error(ErrorCode.RATE_LIMITED, 'Too many requests; slow down', { retryAfterMs });
export const unavailable = (message: string) => error(ErrorCode.UNAVAILABLE, message);

export function errorCode(err: unknown): string | undefined {
  const code = (err as { extensions?: { code?: unknown } })?.extensions?.code;
  return typeof code === 'string' ? code : undefined;
}
