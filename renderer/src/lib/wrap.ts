// Prose and C prototypes wrapped at word boundaries, for Markdown and text that read in a
// mail (at most 100 columns). The same rule as core/analysis/format.ts wrapText, which the
// renderer may not import.

export const MAIL_WIDTH = 100;

/** `text` in lines of at most `width` columns (a longer word stays whole), continuations indented. */
export function wrapWords(text: string, indent = '  ', width = MAIL_WIDTH): string {
  const lead = /^\s*/.exec(text)![0];
  const out: string[] = [];
  let line = '';
  for (const word of text.trim().split(/\s+/)) {
    const next = line ? `${line} ${word}` : `${out.length ? indent : lead}${word}`;
    if (line && next.length > width) {
      out.push(line);
      line = `${indent}${word}`;
    } else line = next;
  }
  if (line) out.push(line);
  return out.join('\n');
}
