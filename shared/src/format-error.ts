import type { GraphQLFormattedError } from 'graphql';
import { CLIENT_ERROR_CODES, ErrorCode } from './errors';
import type { Logger } from './logger';

/**
 * Keeps the contract's client errors as they are; logs everything else with its cause and
 * answers a generic INTERNAL_SERVER_ERROR, so no stack, SQL or URL reaches a client.
 */
export function formatServiceError(logger: Logger, production: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && CLIENT_ERROR_CODES.has(code)) {
      const { stacktrace: _s, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    const original = (error as { originalError?: unknown })?.originalError ?? error;
    logger.error({ err: original, path: formatted.path }, 'unexpected error');
    return {
      message: production ? 'Internal server error' : `Internal server error: ${formatted.message}`,
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}
