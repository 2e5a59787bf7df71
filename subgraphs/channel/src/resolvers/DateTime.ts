import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { badInput } from '@commons/shared';

// Date and time with an explicit offset, e.g. 2026-01-31T12:00:00.000Z or ...+02:00.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function parseIso(value: unknown): Date {
  if (typeof value === 'string' && ISO_DATE_TIME.test(value)) {
    const date = new Date(value);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw badInput('DateTime must be an ISO 8601 string with a time zone, e.g. 2026-01-31T12:00:00Z');
}

/** ISO 8601 strings on the wire; Date inside resolvers. */
export const DateTime = new GraphQLScalarType<Date | string, string>({
  name: 'DateTime',
  description: 'An ISO 8601 date and time with a time zone, e.g. 2026-01-31T12:00:00.000Z',
  serialize(value) {
    const date = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
    // A bad value here is a server bug, not the client's: no client error code.
    if (!date || Number.isNaN(date.getTime())) throw new GraphQLError(`DateTime cannot represent ${String(value)}`);
    return date.toISOString();
  },
  parseValue: parseIso,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw badInput('DateTime must be a string');
    return parseIso(ast.value);
  },
});
