/** A core message ("only 3 of …") as a sentence. */
export function sentence(message: string): string {
  const text = message.trim();
  if (!text) return text;
  const capitalised = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}

export type Segment = { text: string; strong: boolean };

/**
 * A product description as paragraphs of plain and **strong** text. Only that much markup is
 * understood; everything else stays text (nothing is ever parsed as HTML).
 */
export function paragraphs(description: string): Segment[][] {
  return description
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .map((p) =>
      p
        .split(/(\*\*[^*]+\*\*)/)
        .filter((s) => s.length > 0)
        .map((s) =>
          s.startsWith('**') && s.endsWith('**') && s.length > 4
            ? { text: s.slice(2, -2), strong: true }
            : { text: s, strong: false },
        ),
    );
}

export function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}
