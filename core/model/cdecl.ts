// A small C declaration parser for the declarations a subsystem model writes:
// struct/union/enum definitions, struct_ops members (function pointers), kfunc
// prototypes and typedefs. It produces a typed intermediate form that
// core/model/btf-emit.ts turns into BTF. No preprocessor, no expressions
// beyond integer literals (array lengths, enum values, bitfield widths).

export interface CIntType {
  kind: 'int';
  name: string; // spelled as BTF names it: "unsigned int", "u64" stays a typedef (see CNamed)
  size: number;
  signed: boolean;
  bool?: boolean;
  char?: boolean;
}

export type CType =
  | { kind: 'void' }
  | CIntType
  | { kind: 'ptr'; to: CType }
  | { kind: 'array'; of: CType; len: number }
  | { kind: 'struct' | 'union' | 'enum'; name: string }
  | { kind: 'func'; ret: CType; params: CParam[]; variadic: boolean }
  | { kind: 'typedef'; name: string; target: CType }
  | { kind: 'const' | 'volatile'; of: CType };

export interface CParam {
  name?: string;
  type: CType;
}

export interface CField {
  name: string;
  type: CType;
  bits?: number;
  pos: number;
}

export type CDecl =
  | { kind: 'struct' | 'union'; name: string; fields: CField[] | null; pos: number }
  | { kind: 'enum'; name: string; values: { name: string; value: number }[]; size: number; pos: number }
  | { kind: 'typedef'; name: string; type: CType; pos: number }
  /** A named object: a function prototype (type.kind === 'func'), a function pointer or a variable. */
  | { kind: 'object'; name: string; type: CType; pos: number };

export class CDeclError extends Error {
  constructor(
    readonly pos: number,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'CDeclError';
  }
}

const int = (name: string, size: number, signed: boolean, extra: Partial<CIntType> = {}): CIntType => ({
  kind: 'int',
  name,
  size,
  signed,
  ...extra,
});

// The kernel's fixed-width typedefs resolve to these base types (include/uapi/asm-generic/int-ll64.h).
const fixedWidth: Record<string, CIntType> = {
  u8: int('unsigned char', 1, false, { char: true }),
  s8: int('signed char', 1, true, { char: true }),
  u16: int('short unsigned int', 2, false),
  s16: int('short int', 2, true),
  u32: int('unsigned int', 4, false),
  s32: int('int', 4, true),
  u64: int('long long unsigned int', 8, false),
  s64: int('long long int', 8, true),
};

/** Typedefs every model may use without declaring them. */
export function builtinTypedefs(): Map<string, CType> {
  const m = new Map<string, CType>();
  for (const [k, base] of Object.entries(fixedWidth)) {
    m.set(`__${k}`, { kind: 'typedef', name: `__${k}`, target: base });
    m.set(k, { kind: 'typedef', name: k, target: { kind: 'typedef', name: `__${k}`, target: base } });
  }
  m.set('size_t', { kind: 'typedef', name: 'size_t', target: int('long unsigned int', 8, false) });
  m.set('bool', { kind: 'typedef', name: 'bool', target: int('_Bool', 1, false, { bool: true }) });
  return m;
}

// ---- tokens -------------------------------------------------------------

interface Tok {
  t: 'id' | 'num' | 'p' | 'eof';
  v: string;
  pos: number;
}

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (src.startsWith('//', i)) {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) throw new CDeclError(i, 'unterminated comment');
      i = end + 2;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ t: 'id', v: m[0], pos: i });
      i += m[0].length;
    } else if (/[0-9]/.test(c)) {
      const m = /^(0x[0-9a-fA-F]+|[0-9]+)[uUlL]*/.exec(src.slice(i))!;
      out.push({ t: 'num', v: m[1]!, pos: i });
      i += m[0].length;
    } else if (src.startsWith('...', i)) {
      out.push({ t: 'p', v: '...', pos: i });
      i += 3;
    } else if ('{}()[];,*=:-<'.includes(c)) {
      out.push({ t: 'p', v: c, pos: i });
      i++;
    } else {
      throw new CDeclError(i, `unexpected character '${c}'`);
    }
  }
  out.push({ t: 'eof', v: '', pos: src.length });
  return out;
}

// ---- parser ------------------------------------------------------------

const qualifiers = new Set(['const', 'volatile', 'restrict', '__restrict']);
const ignoredWords = new Set([
  'static',
  'extern',
  'inline',
  '__bpf_kfunc',
  'noinline',
  '__user',
  '__rcu',
  '__iomem',
]);
const intWords = new Set(['unsigned', 'signed', 'int', 'long', 'short', 'char', '_Bool']);

/** Prefix of the internal names given to anonymous struct/union/enum types. */
export const ANON_PREFIX = '__anon_';

/** A struct/union named without a body (`struct sock *sk`), where it is written. */
export interface TagRef {
  kind: 'struct' | 'union';
  name: string;
  pos: number;
  /** A declaration of its own (`struct x;`): opaque on purpose. */
  opaque?: boolean;
}

class Parser {
  private i = 0;
  private anon = 0;
  readonly decls: CDecl[] = [];
  constructor(
    private readonly toks: Tok[],
    readonly typedefs: Map<string, CType>,
    private readonly tagRefs?: TagRef[],
  ) {}

  private peek(k = 0): Tok {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)]!;
  }
  private next(): Tok {
    return this.toks[this.i++]!;
  }
  private is(v: string): boolean {
    const t = this.peek();
    return t.t !== 'eof' && t.v === v && (t.t === 'p' || t.t === 'id');
  }
  private expect(v: string): Tok {
    const t = this.peek();
    if (t.v !== v || t.t === 'eof') throw new CDeclError(t.pos, `expected '${v}' but found ${describe(t)}`);
    return this.next();
  }
  private ident(what: string): Tok {
    const t = this.peek();
    if (t.t !== 'id') throw new CDeclError(t.pos, `expected ${what} but found ${describe(t)}`);
    return this.next();
  }
  private number(): number {
    let neg = false;
    if (this.is('-')) {
      this.next();
      neg = true;
    }
    const t = this.peek();
    if (t.t !== 'num') throw new CDeclError(t.pos, `expected a number but found ${describe(t)}`);
    this.next();
    const n = Number(t.v);
    return neg ? -n : n;
  }

  /** declaration-list := { declaration ';' } */
  parseAll(): CDecl[] {
    while (this.peek().t !== 'eof') {
      if (this.is(';')) {
        this.next();
        continue;
      }
      this.declaration(true);
      if (this.peek().t !== 'eof') this.expect(';');
    }
    return this.decls;
  }

  /** A single declaration without trailing ';' (a member or prototype line). */
  parseOne(): CDecl {
    const d = this.declaration(false);
    if (this.is(';')) this.next();
    const t = this.peek();
    if (t.t !== 'eof') throw new CDeclError(t.pos, `unexpected ${describe(t)} after the declaration`);
    if (!d) throw new CDeclError(0, 'no declaration');
    return d;
  }

  private declaration(topLevel: boolean): CDecl | undefined {
    const start = this.peek().pos;
    const isTypedef = this.is('typedef');
    if (isTypedef) this.next();
    const base = this.specifiers();
    // A bare `struct x { … }` or `struct x` or `enum e {…}`.
    if (this.is(';') || this.peek().t === 'eof') {
      if (base.kind === 'struct' || base.kind === 'union' || base.kind === 'enum') {
        const ref = this.tagRefs?.at(-1);
        if (ref && ref.name === base.name && ref.pos === start) ref.opaque = true;
        return this.decls.findLast((d) => d.kind === base.kind && d.name === base.name);
      }
      throw new CDeclError(this.peek().pos, 'declaration declares nothing');
    }
    const { name, type, pos } = this.declarator(base);
    if (!name) throw new CDeclError(pos, 'declaration needs a name');
    let d: CDecl;
    if (isTypedef) {
      this.typedefs.set(name, { kind: 'typedef', name, target: type });
      d = { kind: 'typedef', name, type, pos: start };
    } else {
      d = { kind: 'object', name, type, pos: start };
    }
    if (topLevel) this.decls.push(d);
    return d;
  }

  /** Type specifiers and qualifiers, including inline struct/union/enum definitions. */
  private specifiers(): CType {
    let isConst = false;
    let isVolatile = false;
    const words: string[] = [];
    let named: CType | undefined;
    const first = this.peek();
    for (;;) {
      const t = this.peek();
      if (t.t !== 'id') break;
      if (qualifiers.has(t.v)) {
        this.next();
        if (t.v === 'const') isConst = true;
        if (t.v === 'volatile') isVolatile = true;
      } else if (ignoredWords.has(t.v)) {
        this.next();
      } else if (intWords.has(t.v) && !named) {
        words.push(this.next().v);
      } else if ((t.v === 'struct' || t.v === 'union' || t.v === 'enum') && !named && words.length === 0) {
        named = this.tagged();
      } else if (t.v === 'void' && !named && words.length === 0) {
        this.next();
        named = { kind: 'void' };
      } else if (!named && words.length === 0 && this.typedefs.has(t.v)) {
        this.next();
        named = this.typedefs.get(t.v)!;
      } else if (!named && words.length === 0) {
        throw new CDeclError(t.pos, `unknown type name '${t.v}'`);
      } else {
        break;
      }
    }
    let base: CType;
    if (named) base = named;
    else if (words.length > 0) base = intFromWords(words, first.pos);
    else throw new CDeclError(first.pos, `expected a type but found ${describe(first)}`);
    if (isVolatile) base = { kind: 'volatile', of: base };
    if (isConst) base = { kind: 'const', of: base };
    return base;
  }

  private tagged(): CType {
    const kw = this.next();
    const kind = kw.v as 'struct' | 'union' | 'enum';
    let name = '';
    if (this.peek().t === 'id') name = this.next().v;
    // Anonymous tags get an internal name so each stays distinct; BTF writes them nameless.
    else name = `${ANON_PREFIX}${this.anon++}`;
    if (this.is('{')) {
      this.next();
      if (kind === 'enum') this.enumBody(name, kw.pos);
      else this.structBody(kind, name, kw.pos);
    } else if (name.startsWith(ANON_PREFIX)) {
      throw new CDeclError(this.peek().pos, `${kind} needs a name or a body`);
    } else {
      if (kind !== 'enum') this.tagRefs?.push({ kind, name, pos: kw.pos });
      // First mention without a body: a forward declaration.
      if (!this.decls.some((d) => d.kind === kind && d.name === name))
        this.decls.push({ kind, name, fields: null, pos: kw.pos } as CDecl);
    }
    return { kind, name };
  }

  private structBody(kind: 'struct' | 'union', name: string, pos: number): void {
    const fields: CField[] = [];
    while (!this.is('}')) {
      if (this.peek().t === 'eof') throw new CDeclError(this.peek().pos, `unterminated ${kind} ${name}`);
      const fpos = this.peek().pos;
      const base = this.specifiers();
      for (;;) {
        const d = this.declarator(base);
        // Anonymous struct/union members are allowed (their fields are reached through them).
        const anon = !d.name && (base.kind === 'struct' || base.kind === 'union') && this.is(';');
        if (!d.name && !anon) throw new CDeclError(d.pos, 'member needs a name');
        const f: CField = { name: d.name ?? '', type: d.type, pos: fpos };
        if (this.is(':')) {
          this.next();
          f.bits = this.number();
        }
        if (f.name && fields.some((x) => x.name === f.name)) {
          throw new CDeclError(d.pos, `duplicate member '${f.name}' in ${kind} ${name}`);
        }
        fields.push(f);
        if (!this.is(',')) break;
        this.next();
      }
      this.expect(';');
    }
    this.expect('}');
    const existing = this.decls.find((d) => d.kind === kind && d.name === name);
    if (existing && existing.kind !== 'enum' && existing.kind !== 'typedef' && existing.kind !== 'object') {
      if (existing.fields) throw new CDeclError(pos, `redefinition of ${kind} ${name}`);
      existing.fields = fields;
      existing.pos = pos;
    } else {
      this.decls.push({ kind, name, fields, pos });
    }
  }

  private enumBody(name: string, pos: number): void {
    const values: { name: string; value: number }[] = [];
    let v = 0;
    while (!this.is('}')) {
      const id = this.ident('an enumerator');
      if (this.is('=')) {
        this.next();
        v = this.number();
      }
      values.push({ name: id.v, value: v });
      v++;
      if (!this.is(',')) break;
      this.next();
    }
    this.expect('}');
    this.decls.push({ kind: 'enum', name, values, size: 4, pos });
  }

  /**
   * declarator := '*'* [qualifiers] ( name | '(' declarator ')' ) suffixes
   * Classic inside-out reading: the suffixes bind tighter than the pointers,
   * and a parenthesised inner declarator applies to the completed outer type.
   */
  private declarator(base: CType): { name?: string; type: CType; pos: number } {
    let type = base;
    while (this.is('*') || (this.peek().t === 'id' && qualifiers.has(this.peek().v))) {
      const t = this.next();
      if (t.v === '*') type = { kind: 'ptr', to: type };
      else if (t.v === 'const') type = { kind: 'const', of: type };
      else if (t.v === 'volatile') type = { kind: 'volatile', of: type };
    }
    let name: string | undefined;
    let pos = this.peek().pos;
    let inner: ((t: CType) => { name?: string; type: CType; pos: number }) | undefined;
    if (this.is('(') && (this.peek(1).v === '*' || this.peek(1).v === '(')) {
      // Nested declarator, e.g. (*name)(args). Parse it later against the outer type.
      this.next();
      const save = this.i;
      this.skipBalanced();
      const end = this.i;
      inner = (t: CType) => {
        const keep = this.i;
        this.i = save;
        const r = this.declarator(t);
        if (this.i !== end - 1) throw new CDeclError(this.peek().pos, `unexpected ${describe(this.peek())}`);
        this.i = keep;
        return r;
      };
    } else if (this.peek().t === 'id' && !ignoredWords.has(this.peek().v)) {
      const t = this.next();
      name = t.v;
      pos = t.pos;
    }
    type = this.suffixes(type);
    if (inner) return inner(type);
    return { name, type, pos };
  }

  /** Skips to just past the ')' matching an already consumed '('. */
  private skipBalanced(): void {
    let depth = 1;
    while (depth > 0) {
      const t = this.next();
      if (t.t === 'eof') throw new CDeclError(t.pos, "missing ')'");
      if (t.v === '(') depth++;
      else if (t.v === ')') depth--;
    }
  }

  private suffixes(type: CType): CType {
    if (this.is('[')) {
      this.next();
      const len = this.is(']') ? 0 : this.number();
      if (len < 0) throw new CDeclError(this.peek().pos, 'array length must not be negative');
      this.expect(']');
      return { kind: 'array', of: this.suffixes(type), len };
    }
    if (this.is('(')) {
      this.next();
      const params: CParam[] = [];
      let variadic = false;
      if (this.is('void') && this.peek(1).v === ')') {
        this.next();
      } else {
        while (!this.is(')')) {
          if (this.is('...')) {
            this.next();
            variadic = true;
            break;
          }
          const base = this.specifiers();
          const d = this.declarator(base);
          params.push(d.name ? { name: d.name, type: d.type } : { type: d.type });
          if (!this.is(',')) break;
          this.next();
        }
      }
      this.expect(')');
      return { kind: 'func', ret: type, params, variadic };
    }
    return type;
  }
}

function describe(t: Tok): string {
  return t.t === 'eof' ? 'end of input' : `'${t.v}'`;
}

function intFromWords(words: string[], pos: number): CType {
  const count = (w: string) => words.filter((x) => x === w).length;
  const unsigned = count('unsigned') > 0;
  const signed = count('signed') > 0;
  if (unsigned && signed) throw new CDeclError(pos, "both 'signed' and 'unsigned'");
  if (count('_Bool')) return int('_Bool', 1, false, { bool: true });
  if (count('char')) {
    if (unsigned) return int('unsigned char', 1, false, { char: true });
    if (signed) return int('signed char', 1, true, { char: true });
    return int('char', 1, true, { char: true });
  }
  if (count('short')) return unsigned ? int('short unsigned int', 2, false) : int('short int', 2, true);
  const longs = count('long');
  if (longs >= 2) return unsigned ? int('long long unsigned int', 8, false) : int('long long int', 8, true);
  if (longs === 1) return unsigned ? int('long unsigned int', 8, false) : int('long int', 8, true);
  return unsigned ? int('unsigned int', 4, false) : int('int', 4, true);
}

/** Parses a list of ';'-terminated declarations. Typedefs declared earlier are visible later. */
export function parseDecls(
  src: string,
  typedefs: Map<string, CType> = builtinTypedefs(),
  tagRefs?: TagRef[],
): CDecl[] {
  return new Parser(tokenize(src), typedefs, tagRefs).parseAll();
}

/** Parses one declaration, e.g. a member line `int (*init)(struct Qdisc *sch)` or a prototype. */
export function parseDecl(
  src: string,
  typedefs: Map<string, CType> = builtinTypedefs(),
  tagRefs?: TagRef[],
): CDecl {
  return new Parser(tokenize(src), typedefs, tagRefs).parseOne();
}

/** C spelling of a type, for messages and summaries. */
export function typeToString(t: CType, inner = ''): string {
  switch (t.kind) {
    case 'void':
      return `void${inner ? ` ${inner}` : ''}`;
    case 'int':
      return `${t.name}${inner ? ` ${inner}` : ''}`;
    case 'typedef':
      return `${t.name}${inner ? ` ${inner}` : ''}`;
    case 'struct':
    case 'union':
    case 'enum':
      return `${t.kind} ${t.name}${inner ? ` ${inner}` : ''}`;
    case 'const':
    case 'volatile':
      return `${t.kind} ${typeToString(t.of, inner)}`;
    case 'ptr': {
      const needParen = t.to.kind === 'func' || t.to.kind === 'array';
      return typeToString(t.to, needParen ? `(*${inner})` : `*${inner}`);
    }
    case 'array':
      return typeToString(t.of, `${inner}[${t.len}]`);
    case 'func': {
      const ps = t.params.map((p) => typeToString(p.type, p.name ?? '')).join(', ');
      return typeToString(t.ret, `${inner}(${t.variadic ? `${ps}, ...` : ps || 'void'})`);
    }
  }
}

/** Strips typedefs and qualifiers. */
export function resolveType(t: CType): CType {
  while (t.kind === 'typedef' || t.kind === 'const' || t.kind === 'volatile') {
    t = t.kind === 'typedef' ? t.target : t.of;
  }
  return t;
}

/** The function type behind a prototype or a function-pointer member, if it is one. */
export function funcOf(t: CType): Extract<CType, { kind: 'func' }> | undefined {
  const r = resolveType(t);
  if (r.kind === 'func') return r;
  if (r.kind === 'ptr') {
    const to = resolveType(r.to);
    if (to.kind === 'func') return to;
  }
  return undefined;
}
