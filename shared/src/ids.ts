const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are opaque to clients, but a malformed one must never reach a uuid column as a SQL error. */
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);
