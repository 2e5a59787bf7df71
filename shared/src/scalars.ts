import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { badInput } from './errors';

// ISO 8601 with a time and an explicit zone, so a value never depends on the server's zone.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function parseIso(value: unknown): Date {
  const date = typeof value === 'string' && ISO_DATE_TIME.test(value) ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    throw badInput('DateTime must be an ISO 8601 date-time with a zone, e.g. 2026-01-31T12:00:00Z');
  }
  return date;
}

/**
 * The `DateTime` scalar every subgraph declares: ISO strings on the wire, Date inside
 * resolvers. Serializes Dates (rows) and ISO strings (pub/sub payloads) alike.
 */
export const DateTimeScalar = new GraphQLScalarType<Date, string>({
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
