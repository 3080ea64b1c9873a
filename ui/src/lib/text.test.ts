import { describe, expect, it } from 'vitest';

import { plural, sentence } from './text';

describe('text', () => {
  it('turns core messages into sentences', () => {
    expect(sentence('only 3 of "UA-SNK-3X5-NYL" available (asked for 4)')).toBe(
      'Only 3 of "UA-SNK-3X5-NYL" available (asked for 4).',
    );
    expect(sentence('Done!')).toBe('Done!');
  });

  it('counts in words', () => {
    expect(plural(1, 'item', 'items')).toBe('1 item');
    expect(plural(2, 'item', 'items')).toBe('2 items');
  });
});
