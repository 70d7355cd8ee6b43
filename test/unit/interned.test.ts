// Interned strings: bounded in count and in the length of what it keeps (a client's connection
// params must not make the API hold large strings).
import { describe, expect, it } from 'vitest';
import { Interned } from '../../src/realtime/interned.js';

describe('Interned', () => {
  it('answers the value, keeps at most max of them (oldest forgotten first) and never a long one', () => {
    const interned = new Interned(2, 10);
    expect(interned.intern('a')).toBe('a');
    expect(interned.intern('b')).toBe('b');
    expect(interned.intern('c')).toBe('c');
    const seen = (interned as unknown as { seen: Map<string, string> }).seen;
    expect([...seen.keys()]).toEqual(['b', 'c']);
    expect(interned.intern('x'.repeat(11))).toBe('x'.repeat(11));
    expect([...seen.keys()]).toEqual(['b', 'c']);
  });
});
