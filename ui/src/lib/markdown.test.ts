import { describe, expect, it } from 'vitest';

import { renderMarkdown } from './markdown';

describe('renderMarkdown', () => {
  it('renders the formatting an owner uses', () => {
    const html = renderMarkdown('White over **red**, *sewn* stripes.\n\n- nylon\n- brass grommets');
    expect(html).toContain('<strong>red</strong>');
    expect(html).toContain('<em>sewn</em>');
    expect(html).toContain('<li>nylon</li>');
  });

  it('never lets HTML or script links through', () => {
    const html = renderMarkdown(
      'Hi <script>alert(1)</script><img src=x onerror="alert(2)"> [click](javascript:alert(3)) <iframe src="https://evil"></iframe>',
    );
    expect(html).not.toMatch(/<script|onerror|javascript:|<iframe|<img/i);
    expect(renderMarkdown('[shop](https://example.com)')).toContain('href="https://example.com"');
  });
});
