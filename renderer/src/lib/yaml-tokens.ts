// Tokens of model YAML for the editor's highlighting overlay: keys, scalars, comments,
// flow punctuation, and inside block scalars (`insns: |`, `types: |`) the instruction
// text's registers, keywords and comments. Line by line, carrying only whether a block
// scalar is open and its indentation — enough for colour, not a YAML parser.

export type YamlTokenKind =
  | 'text'
  | 'key'
  | 'comment'
  | 'string'
  | 'number'
  | 'bool'
  | 'punct'
  | 'block'
  | 'reg'
  | 'keyword';

export interface YamlToken {
  kind: YamlTokenKind;
  text: string;
}

const SCALAR_NUMBER = /^-?(?:0x[0-9a-fA-F]+|\d+(?:\.\d+)?)$/;
const SCALAR_BOOL = /^(?:true|false|null|~)$/;
// Instruction text (insns): comments, registers, the words that steer control flow, sizes.
const INSN =
  /(\/\/.*$|;.*$)|\b(r(?:10|[0-9])|w(?:10|[0-9]))\b|\b(call|exit|goto|if|u8|u16|u32|u64|s8|s16|s32|s64)\b/g;
// C declarations (types): comments, no registers (group 2 never matches), keywords and predefined types.
const CDECL =
  /(\/\/.*$|\/\*.*?\*\/)|(?!)()|\b(struct|union|enum|typedef|const|void|int|char|bool|u8|u16|u32|u64|s8|s16|s32|s64|size_t)\b/g;

function blockTokens(line: string, re: RegExp): YamlToken[] {
  const out: YamlToken[] = [];
  let at = 0;
  for (const m of line.matchAll(re)) {
    if (m.index > at) out.push({ kind: 'block', text: line.slice(at, m.index) });
    out.push({ kind: m[1] ? 'comment' : m[2] ? 'reg' : 'keyword', text: m[0] });
    at = m.index + m[0].length;
  }
  if (at < line.length) out.push({ kind: 'block', text: line.slice(at) });
  return out;
}

function scalarKind(s: string): YamlTokenKind {
  const t = s.trim();
  if (SCALAR_NUMBER.test(t)) return 'number';
  if (SCALAR_BOOL.test(t)) return 'bool';
  return 'text';
}

/** Values after `key:` or `- `: quoted strings, flow punctuation, comments, plain scalars. */
function valueTokens(s: string, out: YamlToken[]): void {
  let i = 0;
  let plain = '';
  const flush = () => {
    if (!plain) return;
    // A `key:` inside a flow mapping ({ name: x }) is a key.
    const m = /^(\s*)([\w.-]+)(:)(?=\s|$)/.exec(plain);
    if (m) {
      if (m[1]) out.push({ kind: 'text', text: m[1] });
      out.push({ kind: 'key', text: m[2]! }, { kind: 'punct', text: ':' });
      plain = plain.slice(m[0].length);
    }
    if (plain) out.push({ kind: scalarKind(plain), text: plain });
    plain = '';
  };
  while (i < s.length) {
    const c = s[i]!;
    if (c === '"' || c === "'") {
      flush();
      let j = i + 1;
      while (j < s.length && s[j] !== c) j += c === '"' && s[j] === '\\' ? 2 : 1;
      out.push({ kind: 'string', text: s.slice(i, j + 1) });
      i = j + 1;
    } else if (c === '#' && (i === 0 || /\s/.test(s[i - 1]!))) {
      flush();
      out.push({ kind: 'comment', text: s.slice(i) });
      return;
    } else if ('{}[],'.includes(c)) {
      flush();
      out.push({ kind: 'punct', text: c });
      i++;
    } else {
      plain += c;
      i++;
    }
  }
  flush();
}

const indentOf = (line: string): number => /^ */.exec(line)![0].length;

/** One token list per line; concatenated texts give the line back exactly. */
export function tokenizeYaml(text: string): YamlToken[][] {
  const lines = text.split('\n');
  const out: YamlToken[][] = [];
  // The column of a block scalar's key: lines indented deeper (or blank) are its content.
  let blockParent: number | null = null;
  let blockRe = INSN;
  for (const line of lines) {
    if (blockParent !== null && (line.trim() === '' || indentOf(line) > blockParent)) {
      out.push(line ? blockTokens(line, blockRe) : []);
      continue;
    }
    blockParent = null;
    const toks: YamlToken[] = [];
    const m = /^(\s*)(-\s+)?(?:([\w.-]+|"[^"]*"|'[^']*')(\s*:)(?=\s|$))?(.*)$/.exec(line)!;
    const [, indent = '', dash = '', key, colon, rest = ''] = m;
    if (indent) toks.push({ kind: 'text', text: indent });
    if (dash) toks.push({ kind: 'punct', text: dash });
    if (key !== undefined) {
      toks.push({ kind: 'key', text: key }, { kind: 'punct', text: colon! });
      // `key: |` / `key: >-` opens a block scalar.
      if (/^\s*[|>][+-]?\s*(?:#.*)?$/.test(rest)) {
        blockParent = indent.length + dash.length;
        blockRe = key === 'types' ? CDECL : INSN;
      }
    }
    valueTokens(rest, toks);
    out.push(toks);
  }
  return out;
}
