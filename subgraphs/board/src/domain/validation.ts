import { badInput } from '@commons/shared';

export const MAX_TITLE_LENGTH = 200;
export const MAX_BODY_LENGTH = 20_000;
export const MAX_TAG_LENGTH = 24;
export const MAX_TAGS = 5;

// Code points, not UTF-16 units: an emoji counts as one character, as people count them.
const lengthOf = (text: string) => [...text].length;

// A tag is one word: no whitespace (join words with '-'), no control or invisible format
// characters, no commas (clients join tags with them).
const TAG_CHARACTERS = /^[^\s\p{C},]+$/u;

function trimmedText(value: string, field: string, what: string, max: number): string {
  const text = value.trim();
  if (text.length === 0) throw badInput(`${what} needs some text`, field);
  if (lengthOf(text) > max) throw badInput(`${what} is at most ${max} characters`, field);
  return text;
}

/** A thread title: trimmed, 1..200 characters. */
export const validateTitle = (title: string): string => trimmedText(title, 'title', 'A title', MAX_TITLE_LENGTH);

/** A post body: trimmed, 1..20000 characters. */
export const validateBody = (body: string): string => trimmedText(body, 'body', 'A post', MAX_BODY_LENGTH);

/**
 * One tag, normalised: trimmed and lowercased (so `Help` and `help` are one tag), then
 * 1..24 characters of one word. BAD_USER_INPUT for anything else.
 */
export function normalizeTag(tag: string, field: string): string {
  const normal = tag.trim().toLowerCase();
  if (normal.length === 0) throw badInput('A tag needs some text', field);
  if (lengthOf(normal) > MAX_TAG_LENGTH) throw badInput(`A tag is at most ${MAX_TAG_LENGTH} characters`, field);
  if (!TAG_CHARACTERS.test(normal)) throw badInput('A tag is one word: no spaces, commas or control characters', field);
  return normal;
}

/** A thread's tags, normalised, duplicates dropped (first one kept), at most 5. */
export function normalizeTags(tags: readonly string[] | null | undefined): string[] {
  const normal = [...new Set((tags ?? []).map((tag) => normalizeTag(tag, 'tags')))];
  if (normal.length > MAX_TAGS) throw badInput(`A thread has at most ${MAX_TAGS} tags`, 'tags');
  return normal;
}
