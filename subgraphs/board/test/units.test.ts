import { encodeCursor } from '@commons/shared';
import type { Thread } from '@commons/shared/src/generated/prisma/client';
import { parsePostCursor, postCursor } from '../src/domain/posts';
import { parseThreadCursor, threadCursor } from '../src/domain/threads';
import { normalizeTag, normalizeTags, validateBody, validateTitle } from '../src/domain/validation';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { extensions?: { code?: string } }).extensions?.code;
  }
  return undefined;
};

describe('validation', () => {
  it('trims titles and bodies and counts characters, not UTF-16 units', () => {
    expect(validateTitle('  a title \n')).toBe('a title');
    expect(validateBody('\n body \t')).toBe('body');
    expect(validateTitle('😀'.repeat(200))).toHaveLength(400);
    expect(codeOf(() => validateTitle('😀'.repeat(201)))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => validateTitle(' '))).toBe('BAD_USER_INPUT');
    expect(validateBody(`  ${'b'.repeat(20000)}  `)).toHaveLength(20000);
    expect(codeOf(() => validateBody('b'.repeat(20001)))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => validateBody(''))).toBe('BAD_USER_INPUT');
  });

  it('normalises tags to lowercase, drops duplicates, and rejects the rest', () => {
    expect(normalizeTags(['Help', ' HELP', 'c++', 'Ünïcode'])).toEqual(['help', 'c++', 'ünïcode']);
    expect(normalizeTags(null)).toEqual([]);
    expect(normalizeTags(['a', 'b', 'c', 'd', 'e', 'A'])).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(normalizeTag('x'.repeat(24), 'tag')).toHaveLength(24);
    for (const bad of ['', '  ', 'x'.repeat(25), 'two words', 'a,b', 'tab\there', 'zero\u200bwidth']) {
      expect(codeOf(() => normalizeTag(bad, 'tag'))).toBe('BAD_USER_INPUT');
    }
    expect(codeOf(() => normalizeTags(['a', 'b', 'c', 'd', 'e', 'f']))).toBe('BAD_USER_INPUT');
  });
});

describe('cursors', () => {
  const thread = {
    id: '6f1c2a8e-0b4e-4f38-9d1c-2f3a4b5c6d7e',
    pinned: true,
    createdAt: new Date('2026-01-02T03:04:05.678Z'),
    lastActivityAt: new Date('2026-02-03T04:05:06.789Z'),
  } as Thread;

  it('encode pinned, the order\'s time and the id, and round-trip exactly', () => {
    expect(parseThreadCursor(threadCursor(thread, 'LATEST_ACTIVITY'), 'LATEST_ACTIVITY')).toEqual({ pinned: true, at: thread.lastActivityAt, id: thread.id });
    expect(parseThreadCursor(threadCursor(thread, 'NEWEST'), 'NEWEST')).toEqual({ pinned: true, at: thread.createdAt, id: thread.id });
    expect(parsePostCursor(postCursor({ seq: 42 }))).toBe(42);
  });

  it('reject a cursor of another order or kind, and malformed ones', () => {
    expect(codeOf(() => parseThreadCursor(threadCursor(thread, 'NEWEST'), 'LATEST_ACTIVITY'))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => parseThreadCursor(postCursor({ seq: 1 }), 'NEWEST'))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => parseThreadCursor(encodeCursor('tn', ['2', '5', thread.id]), 'NEWEST'))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => parseThreadCursor(encodeCursor('tn', ['1', 'x', thread.id]), 'NEWEST'))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => parseThreadCursor(encodeCursor('tn', ['1', '5', 'not-a-uuid']), 'NEWEST'))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => parsePostCursor(encodeCursor('p', ['-1'])))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => parsePostCursor('garbage'))).toBe('BAD_USER_INPUT');
  });
});
