import type { GraphQLFormattedError } from 'graphql';
import { CLIENT_ERROR_CODES, ErrorCode } from './errors';
import type { Logger } from './logger';

/** The extensions a client may see; the rest (stack, subgraph name and response, SQL) stays in logs. */
const PUBLIC_EXTENSIONS = ['code', 'field', 'retryAfterMs'] as const;

/**
 * Keeps the contract's client errors (with only their public extensions); logs everything
 * else with its cause and answers a generic INTERNAL_SERVER_ERROR, so no stack, SQL or URL
 * reaches a client, in development too (a subgraph's message can carry its URL).
 */
export function formatServiceError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && CLIENT_ERROR_CODES.has(code)) {
      const extensions: Record<string, unknown> = {};
      for (const key of PUBLIC_EXTENSIONS) {
        if (formatted.extensions?.[key] !== undefined) extensions[key] = formatted.extensions[key];
      }
      return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions };
    }
    const original = (error as { originalError?: unknown })?.originalError ?? error;
    logger.error({ err: original, path: formatted.path, code }, 'unexpected error');
    return {
      message: 'Internal server error',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}
