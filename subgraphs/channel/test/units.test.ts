import { Kind } from 'graphql';
import { profileOf, toHandle } from '../src/domain/users';
import { DateTime } from '../src/resolvers/DateTime';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as { extensions?: { code?: string } }).extensions?.code ?? 'NO_CODE';
  }
  throw new Error('expected a throw');
};

describe('DateTime', () => {
  test('serializes Dates and ISO strings to ISO strings', () => {
    const at = new Date('2026-01-31T12:00:00.123Z');
    expect(DateTime.serialize(at)).toBe('2026-01-31T12:00:00.123Z');
    expect(DateTime.serialize('2026-01-31T14:00:00+02:00')).toBe('2026-01-31T12:00:00.000Z');
    expect(codeOf(() => DateTime.serialize('yesterday'))).toBe('NO_CODE');
    expect(codeOf(() => DateTime.serialize(42))).toBe('NO_CODE');
  });

  test('parses ISO strings with a zone; anything else is BAD_USER_INPUT', () => {
    expect(DateTime.parseValue('2026-01-31T12:00:00Z')).toEqual(new Date('2026-01-31T12:00:00Z'));
    expect(DateTime.parseLiteral({ kind: Kind.STRING, value: '2026-01-31T12:00:00.5+01:00' })).toEqual(new Date('2026-01-31T11:00:00.5Z'));
    for (const bad of ['2026-01-31', '2026-01-31T12:00:00', '2026-13-45T99:00:00Z', 'soon', 1700000000, null]) {
      expect(codeOf(() => DateTime.parseValue(bad))).toBe('BAD_USER_INPUT');
    }
    expect(codeOf(() => DateTime.parseLiteral({ kind: Kind.INT, value: '1' }))).toBe('BAD_USER_INPUT');
  });
});

describe('profiles from claims', () => {
  test('handles are lowercase [a-z0-9_.-], at most 32 characters', () => {
    expect(toHandle('Grace Hopper')).toBe('grace_hopper');
    expect(toHandle('  --Ünïcödé.Name--  ')).toBe('unicode.name');
    expect(toHandle('🙂🙂')).toBe('');
    expect(toHandle('a'.repeat(50))).toHaveLength(32);
  });

  test('displayName falls back to the handle, then the id; blank claims count as missing', () => {
    expect(profileOf({ id: 'u1', name: 'Grace', handle: 'grace' })).toEqual({ displayName: 'Grace', handle: 'grace' });
    expect(profileOf({ id: 'u1', handle: 'grace' })).toEqual({ displayName: 'grace', handle: 'grace' });
    expect(profileOf({ id: 'auth0|ABC', name: '  ' })).toEqual({ displayName: 'auth0|ABC', handle: 'auth0_abc' });
    expect(profileOf({ id: '🙂', name: '🙂' })).toEqual({ displayName: '🙂', handle: 'user' });
  });
});
