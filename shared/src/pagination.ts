import { badInput } from './errors';

export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export type PageRequest =
  | { direction: 'forward'; limit: number; after?: string }
  | { direction: 'backward'; limit: number; before?: string };

/**
 * Validates Relay arguments. Over-large pages are an error, not a silent clamp (the contract);
 * forward paging is the default.
 */
export function parsePageArgs(args: PageArgs, defaultSize = 20): PageRequest {
  const { first, last, after, before } = args;
  for (const [name, value] of [['first', first], ['last', last]] as const) {
    if (value == null) continue;
    if (value < 0) throw badInput(`${name} must not be negative`, name);
    if (value > MAX_PAGE_SIZE) throw badInput(`${name} must be at most ${MAX_PAGE_SIZE}`, name);
  }
  if (first != null && last != null) throw badInput('Pass first or last, not both', 'last');
  if (last != null || before != null) {
    if (after != null) throw badInput('Pass after with first, before with last', 'after');
    return { direction: 'backward', limit: last ?? defaultSize, before: before ?? undefined };
  }
  return { direction: 'forward', limit: first ?? defaultSize, after: after ?? undefined };
}

/** Cursors are opaque to clients: base64url of a kind tag and the keyset values. */
export function encodeCursor(kind: string, values: ReadonlyArray<string | number | bigint>): string {
  return Buffer.from(JSON.stringify([kind, ...values.map(String)])).toString('base64url');
}

export function decodeCursor(kind: string, cursor: string, arity: number, field = 'after'): string[] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed[0] === kind &&
      parsed.length === arity + 1 &&
      parsed.every((p) => typeof p === 'string')
    ) {
      return parsed.slice(1) as string[];
    }
  } catch {
    // fall through to the error below
  }
  throw badInput('That cursor is not valid here', field);
}

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/**
 * Builds a connection from rows fetched with one extra (limit + 1) in the page's direction;
 * `rows` are in the query's order (reversed for backward pages) and come out oldest-first.
 */
export function toConnection<T>(
  rows: T[],
  page: PageRequest,
  cursorOf: (row: T) => string,
): Connection<T> {
  const hasMore = rows.length > page.limit;
  const slice = rows.slice(0, page.limit);
  if (page.direction === 'backward') slice.reverse();
  const edges = slice.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: page.direction === 'forward' ? hasMore : page.before !== undefined,
      hasPreviousPage: page.direction === 'backward' ? hasMore : page.after !== undefined,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
