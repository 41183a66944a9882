// Request bodies of `kmodel serve`: JSON within a nesting bound. JSON.parse and the
// worker's structured clone both recurse per level, so a body of 5,000 nested
// arrays must be refused before either sees it. No API parameter nests deeper than a few levels.

export const MAX_JSON_DEPTH = 64;

/** The deepest nesting of arrays/objects in JSON text (brackets inside strings do not count). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** The body's JSON value (undefined for an empty body); throws Error with a one-line reason. */
export function parseJsonBody(text: string): unknown {
  if (!text.trim()) return undefined;
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw new Error(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  return JSON.parse(text);
}
