// Product descriptions are Markdown. `marked` turns them into HTML and DOMPurify then removes
// anything that could run or load (scripts, event handlers, javascript: links, iframes), so an
// owner's pasted text can never become code in the window.
import DOMPurify from 'dompurify';
import { marked } from 'marked';

/** Safe HTML for a Markdown text: formatting, lists and links only. */
export function renderMarkdown(text: string): string {
  const html = marked.parse(text, { async: false, gfm: true, breaks: false });
  return DOMPurify.sanitize(html, {
    ALLOWED_TAGS: [
      'p', 'br', 'strong', 'em', 'del', 'code', 'pre', 'blockquote', 'ul', 'ol', 'li', 'a',
      'h2', 'h3', 'h4', 'hr',
    ],
    ALLOWED_ATTR: ['href', 'title'],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#)/i,
  });
}
