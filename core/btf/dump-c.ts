// BTF → compilable C header, following libbpf's btf_dump algorithm (the one
// behind `bpftool btf dump file F format c`): a topological pass decides the
// emission order (strong links must be defined first, weak ones get forward
// declarations), then each type is printed with libbpf's declarator rules,
// padding markers and ___N suffixes for duplicate names.
//
// Speed: everything reads the raw type words (dump-view.ts) and writes bytes
// (dump-out.ts): names are copied from the string section, duplicate names are
// counted by an intern table over the string bytes, sizes and alignments are
// cached in typed arrays, and declarator chains live on one typed stack.
import type { Btf } from './btf';
import { ascii, chunksToString, DumpSink } from './dump-out';
import { type DumpView, dumpView } from './dump-view';
import { BtfError } from './error';
import { MAX_RESOLVE_DEPTH, BTF_PTR_SIZE as PTR_SZ } from './layout';

const ORDERING = 1;
const ORDERED = 2;
const NOT_EMITTED = 0;
const EMITTING = 1;
const EMITTED = 2;

const MAX_PAD_BITS = 1 << 24;
const MAX_TABS = 13;
/** Nesting of the order/emit walks; vmlinux needs 14. */
const MAX_WALK_DEPTH = 1024;
/** Walk steps allowed per type (plus a fixed 1M); vmlinux takes about 3. */
const WALK_STEPS_PER_TYPE = 64;

const K_INT = 1;
const K_PTR = 2;
const K_ARRAY = 3;
const K_STRUCT = 4;
const K_UNION = 5;
const K_ENUM = 6;
const K_FWD = 7;
const K_TYPEDEF = 8;
const K_VOLATILE = 9;
const K_CONST = 10;
const K_RESTRICT = 11;
const K_FUNC = 12;
const K_FUNC_PROTO = 13;
const K_VAR = 14;
const K_DATASEC = 15;
const K_FLOAT = 16;
const K_DECL_TAG = 17;
const K_TYPE_TAG = 18;
const K_ENUM64 = 19;

const isMod = (k: number) => k === K_VOLATILE || k === K_CONST || k === K_RESTRICT || k === K_TYPE_TAG;

const L = {
  struct: ascii('struct'),
  union: ascii('union'),
  structSp: ascii('struct '),
  unionSp: ascii('union '),
  enumKw: ascii('enum'),
  enumSp: ascii('enum '),
  semiNl2: ascii(';\n\n'),
  openBrace: ascii(' {'),
  packed: ascii(' __attribute__((packed))'),
  modeByte: ascii(' __attribute__((mode(byte)))'),
  modeWord: ascii(' __attribute__((mode(word)))'),
  typedefSp: ascii('typedef '),
  gnucVaList: ascii('typedef __builtin_va_list __gnuc_va_list'),
  volatileSp: ascii('volatile '),
  constSp: ascii('const '),
  restrictSp: ascii('restrict '),
  spVolatile: ascii(' volatile'),
  spConst: ascii(' const'),
  spRestrict: ascii(' restrict'),
  void: ascii('void'),
  voidParen: ascii('void)'),
  ellipsis: ascii('...'),
  commaSp: ascii(', '),
  spStar: ascii(' *'),
  spParen: ascii(' ('),
  colonSp: ascii(': '),
  eqSp: ascii(' = '),
  dup: ascii('___'),
  attrOpen: ascii(' __attribute__(('),
  attrClose: ascii('))'),
  typeTagOpen: ascii(' __attribute__((btf_type_tag("'),
  typeTagClose: ascii('")))'),
  LL: ascii('LL'),
  ULL: ascii('ULL'),
  header: ascii(
    '#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n' +
      '#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n#endif\n\n',
  ),
  footer: ascii(
    '#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n#endif /* __VMLINUX_H__ */\n',
  ),
};
/** Padding marker types, widest first (btf_dump_emit_bit_padding). */
const PAD_NAMES = [ascii('long'), ascii('int'), ascii('short'), ascii('char')];
const PAD_BITS = [PTR_SZ * 8, 32, 16, 8];
const BUILTIN_VA_LIST = ascii('__builtin_va_list');
const GNUC_VA_LIST = ascii('__gnuc_va_list');

export interface DumpCOptions {
  /** Wrap in the vmlinux.h guards and preserve_access_index pragma like bpftool (default true). */
  header?: boolean;
  /**
   * Mark 1-byte enums with __attribute__((mode(byte))) as libbpf ≥ 1.2 does.
   * Off by default to match the reference bpftool (v7.1, libbpf 1.1).
   */
  enumModeByte?: boolean;
}

/** The C dump of every type (bpftool btf dump file F format c), as UTF-8 chunks. */
export function dumpBtfCBytes(btf: Btf, opts: DumpCOptions = {}, chunkBytes = 1 << 20): Uint8Array[] {
  return runCDump(btf, opts, new DumpSink(chunkBytes));
}

/**
 * The C dump streamed to `write` in chunks of about `chunkBytes` that end
 * between top-level types; a chunk is valid during the call only (one buffer
 * is reused, so the dump never holds more than a chunk).
 */
export function dumpBtfCTo(
  btf: Btf,
  write: (chunk: Uint8Array) => void,
  opts: DumpCOptions = {},
  chunkBytes = 1 << 20,
): void {
  runCDump(btf, opts, new DumpSink(chunkBytes, write));
}

function runCDump(btf: Btf, opts: DumpCOptions, out: DumpSink): Uint8Array[] {
  const d = new CDumper(btf, opts.enumModeByte ?? false, out);
  const header = opts.header ?? true;
  if (header) out.lit(L.header);
  // Split BTF: the base's types too, so the header compiles on its own (as bpftool does).
  // Chunks are handed out here, outside the optimized loop: a branch first taken
  // after V8 optimized a loop (the first full chunk) would throw that code away.
  for (let id = 1; id < btf.typeCount; ) {
    id = d.dumpTypes(id);
    out.collect();
  }
  if (header) out.lit(L.footer);
  return out.finish();
}

/** The C dump of every type (bpftool btf dump file F format c). */
export function dumpBtfC(btf: Btf, opts: DumpCOptions = {}): string {
  return chunksToString(dumpBtfCBytes(btf, opts));
}

/**
 * Names by content: string offsets → a canonical slot, so duplicate names are
 * counted without making JS strings (and stay right for string sections that
 * are not deduplicated).
 */
class NameCounts {
  private readonly table: Int32Array;
  private readonly mask: number;
  /** Per slot: how often the name was seen as a type name / as an identifier. */
  readonly types: Int32Array;
  readonly idents: Int32Array;

  constructor(
    private readonly strs: Uint8Array,
    maxNames: number,
  ) {
    let cap = 1024;
    while (cap < maxNames * 2) cap *= 2;
    this.table = new Int32Array(cap);
    this.mask = cap - 1;
    this.types = new Int32Array(cap);
    this.idents = new Int32Array(cap);
  }

  slot(off: number): number {
    const s = this.strs;
    let h = 0x811c9dc5;
    for (let i = off; s[i] !== 0; i++) h = Math.imul(h ^ s[i]!, 0x01000193);
    const t = this.table;
    for (let slot = h & this.mask; ; slot = (slot + 1) & this.mask) {
      const e = t[slot]!;
      if (e === 0) {
        t[slot] = off + 1;
        return slot;
      }
      if (e - 1 === off || this.same(e - 1, off)) return slot;
    }
  }

  private same(a: number, b: number): boolean {
    const s = this.strs;
    for (;;) {
      const x = s[a++]!;
      if (x !== s[b++]) return false;
      if (x === 0) return true;
    }
  }
}

class CDumper {
  private readonly w: Uint32Array;
  private readonly rec: Uint32Array;
  private readonly strs: Uint8Array;
  private readonly n: number;
  private readonly kinds: Uint8Array;
  private readonly order: Uint8Array;
  private readonly emit: Uint8Array;
  private readonly fwdEmitted: Uint8Array;
  private readonly referenced: Uint8Array;
  /** Resolved ___N suffix per id (0: not resolved yet; 1: none). */
  private readonly nameDup: Int32Array;
  private readonly counts: NameCounts;
  /** btf__align_of per id: 0 unknown, -1 in progress, -2 has none, else the alignment. */
  private readonly aligns: Int8Array;
  /** Types to emit after one orderType pass; an id is queued once at most, so n slots do. */
  private readonly queue: Int32Array;
  private qlen = 0;
  /** Declarator chains (innermost type on top); nested declarations push above. */
  // Sized so that it never grows on real BTF: replacing a field V8 saw as constant deopts its users.
  private stack = new Int32Array(1 << 13);
  private sp = 0;
  private walkDepth = 0;
  private walkSteps = 0;
  private readonly walkLimit: number;

  constructor(
    private readonly btf: Btf,
    private readonly enumModeByte: boolean,
    readonly out: DumpSink,
  ) {
    const v: DumpView = dumpView(btf);
    this.w = v.words;
    this.rec = v.rec;
    this.strs = v.strs;
    const n = btf.typeCount;
    this.n = n;
    this.kinds = new Uint8Array(n);
    this.order = new Uint8Array(n);
    this.emit = new Uint8Array(n);
    this.fwdEmitted = new Uint8Array(n);
    this.referenced = new Uint8Array(n);
    this.nameDup = new Int32Array(n);
    this.aligns = new Int8Array(n);
    this.queue = new Int32Array(n);
    this.order[0] = ORDERED;
    this.emit[0] = EMITTED;
    this.counts = new NameCounts(this.strs, this.scan());
    this.walkLimit = WALK_STEPS_PER_TYPE * n + (1 << 20);
  }

  /** Dumps types from `id` on until a chunk is full; returns the next id. */
  dumpTypes(id: number): number {
    const out = this.out;
    for (; id < this.n; id++) {
      this.dumpType(id);
      if (out.pos >= out.chunkBytes) return id + 1;
    }
    return id;
  }

  /**
   * Fills `kinds` and marks types referenced from other types (decides which
   * anonymous enums are top-level). Returns how many names may need a ___N
   * count (those of structs, unions, enums, forwards, typedefs and enumerators),
   * which sizes the name table.
   */
  private scan(): number {
    const { w, rec, kinds, referenced: r } = this;
    let names = 0;
    for (let id = 1; id < this.n; id++) {
      const p = rec[id]!;
      const info = w[p + 1]!;
      const k = (info >>> 24) & 0x1f;
      kinds[id] = k;
      if (k === K_STRUCT || k === K_UNION || k === K_TYPEDEF || k === K_FWD) names++;
      switch (k) {
        case K_VOLATILE:
        case K_CONST:
        case K_RESTRICT:
        case K_PTR:
        case K_TYPEDEF:
        case K_FUNC:
        case K_VAR:
        case K_DECL_TAG:
        case K_TYPE_TAG:
          r[w[p + 2]!] = 1;
          break;
        case K_ARRAY:
          r[w[p + 3]!] = 1;
          r[w[p + 4]!] = 1;
          break;
        case K_STRUCT:
        case K_UNION:
        case K_DATASEC: {
          const vlen = info & 0xffff;
          const off = k === K_DATASEC ? 3 : 4;
          for (let j = 0; j < vlen; j++) r[w[p + off + j * 3]!] = 1;
          break;
        }
        case K_FUNC_PROTO: {
          const vlen = info & 0xffff;
          for (let j = 0; j < vlen; j++) r[w[p + 4 + j * 2]!] = 1;
          break;
        }
        case K_ENUM:
        case K_ENUM64:
          names += 1 + (info & 0xffff);
          break;
      }
    }
    return names;
  }

  private dumpType(id: number): void {
    this.qlen = 0;
    this.orderType(id, false);
    const q = this.queue;
    for (let i = 0; i < this.qlen; i++) this.emitType(q[i]!, 0);
  }

  private enqueue(id: number): void {
    this.queue[this.qlen++] = id;
  }

  /** 1 = strong link (must be defined first), 0 = weak (a forward declaration will do). */
  private orderType(id: number, throughPtr: boolean): number {
    this.enterWalk(id);
    const r = this.orderTypeStep(id, throughPtr);
    this.walkDepth--;
    return r;
  }

  /**
   * Bounds the recursive walks. Hostile BTF can chain types 100k deep (past the JS
   * stack) or share FUNC_PROTOs so that each level doubles the walk; both end in a
   * BtfError instead.
   */
  private enterWalk(id: number): void {
    if (++this.walkDepth > MAX_WALK_DEPTH)
      throw new BtfError(this.btf.recordOffset(id), `type chain deeper than ${MAX_WALK_DEPTH}, id:[${id}]`);
    if (++this.walkSteps > this.walkLimit)
      throw new BtfError(this.btf.recordOffset(id), `type graph too costly to dump, id:[${id}]`);
  }

  private orderTypeStep(id: number, throughPtr: boolean): number {
    const st = this.order[id];
    if (st === ORDERED) return 1;
    const k = this.kinds[id]!;
    const w = this.w;
    const p = this.rec[id]!;
    if (st === ORDERING) {
      if ((k === K_STRUCT || k === K_UNION) && throughPtr && w[p] !== 0) return 0;
      throw new BtfError(this.btf.recordOffset(id), `unsatisfiable type cycle, id:[${id}]`);
    }
    switch (k) {
      case K_INT:
      case K_FLOAT:
        this.order[id] = ORDERED;
        return 0;
      case K_PTR: {
        const r = this.orderType(w[p + 2]!, true);
        this.order[id] = ORDERED;
        return r;
      }
      case K_ARRAY:
        return this.orderType(w[p + 3]!, false);
      case K_STRUCT:
      case K_UNION: {
        const named = w[p] !== 0;
        if (throughPtr && named) return 0;
        this.order[id] = ORDERING;
        const n = w[p + 1]! & 0xffff;
        const order = this.order;
        for (let j = 0; j < n; j++) {
          const t = w[p + 4 + j * 3]!;
          if (order[t] !== ORDERED) this.orderType(t, false);
        }
        if (named) this.enqueue(id);
        this.order[id] = ORDERED;
        return 1;
      }
      case K_ENUM:
      case K_ENUM64:
      case K_FWD:
        if (w[p] !== 0 || !this.referenced[id]) this.enqueue(id);
        this.order[id] = ORDERED;
        return 1;
      case K_TYPEDEF: {
        const strong = this.orderType(w[p + 2]!, throughPtr);
        if (throughPtr && !strong) return 0;
        this.enqueue(id);
        this.order[id] = ORDERED;
        return 1;
      }
      case K_VOLATILE:
      case K_CONST:
      case K_RESTRICT:
      case K_TYPE_TAG:
        return this.orderType(w[p + 2]!, throughPtr);
      case K_FUNC_PROTO: {
        let strong = this.orderType(w[p + 2]!, throughPtr) > 0;
        const n = w[p + 1]! & 0xffff;
        for (let j = 0; j < n; j++) if (this.orderType(w[p + 4 + j * 2]!, throughPtr) > 0) strong = true;
        return strong ? 1 : 0;
      }
      default: // FUNC, VAR, DATASEC, DECL_TAG
        this.order[id] = ORDERED;
        return 0;
    }
  }

  /** Is the string at `off` equal to `lit`? */
  private strIs(off: number, lit: Uint8Array): boolean {
    const s = this.strs;
    for (let i = 0; i < lit.length; i++) if (s[off + i] !== lit[i]) return false;
    return s[off + lit.length] === 0;
  }

  private isBlacklisted(id: number): boolean {
    const off = this.w[this.rec[id]!]!;
    return off !== 0 && this.strIs(off, BUILTIN_VA_LIST);
  }

  private emitType(id: number, contId: number): void {
    this.enterWalk(id);
    this.emitTypeStep(id, contId);
    this.walkDepth--;
  }

  private emitTypeStep(id: number, contId: number): void {
    const es = this.emit[id];
    if (es === EMITTED) return;
    const k = this.kinds[id]!;
    const w = this.w;
    const p = this.rec[id]!;
    const out = this.out;
    const topLevel = contId === 0;
    if (es === EMITTING) {
      if (this.fwdEmitted[id]) return;
      if (k === K_STRUCT || k === K_UNION) {
        if (id === contId) return;
        if (w[p] === 0) return; // anonymous struct/union loop
        this.emitStructFwd(id);
        out.lit(L.semiNl2);
        this.fwdEmitted[id] = 1;
      } else if (k === K_TYPEDEF) {
        if (!this.isBlacklisted(id)) {
          this.emitTypedefDef(id, 0);
          out.lit(L.semiNl2);
        }
        this.fwdEmitted[id] = 1;
      }
      return;
    }
    switch (k) {
      case K_INT:
        this.emit[id] = EMITTED;
        break;
      case K_ENUM:
      case K_ENUM64:
        if (topLevel) {
          this.emitEnumDef(id, 0);
          out.lit(L.semiNl2);
        }
        this.emit[id] = EMITTED;
        break;
      case K_PTR:
      case K_VOLATILE:
      case K_CONST:
      case K_RESTRICT:
      case K_TYPE_TAG:
        this.emitType(w[p + 2]!, contId);
        break;
      case K_ARRAY:
        this.emitType(w[p + 3]!, contId);
        break;
      case K_FWD:
        this.emitFwdDef(id);
        out.lit(L.semiNl2);
        this.emit[id] = EMITTED;
        break;
      case K_TYPEDEF:
        this.emit[id] = EMITTING;
        this.emitType(w[p + 2]!, id);
        if (!this.fwdEmitted[id] && !this.isBlacklisted(id)) {
          this.emitTypedefDef(id, 0);
          out.lit(L.semiNl2);
        }
        this.emit[id] = EMITTED;
        break;
      case K_STRUCT:
      case K_UNION: {
        this.emit[id] = EMITTING;
        const anon = w[p] === 0;
        if (topLevel || anon) {
          const n = w[p + 1]! & 0xffff;
          const cont = anon ? contId : id;
          const emit = this.emit;
          for (let j = 0; j < n; j++) {
            // Most members' types are out already: skip the call.
            const t = w[p + 4 + j * 3]!;
            if (emit[t] !== EMITTED) this.emitType(t, cont);
          }
        } else if (!this.fwdEmitted[id] && id !== contId) {
          this.emitStructFwd(id);
          out.lit(L.semiNl2);
          this.fwdEmitted[id] = 1;
        }
        if (topLevel) {
          this.emitStructDef(id, 0);
          out.lit(L.semiNl2);
          this.emit[id] = EMITTED;
        } else {
          this.emit[id] = NOT_EMITTED;
        }
        break;
      }
      case K_FUNC_PROTO: {
        this.emitType(w[p + 2]!, contId);
        const n = w[p + 1]! & 0xffff;
        for (let j = 0; j < n; j++) {
          const t = w[p + 4 + j * 2]!;
          if (this.emit[t] !== EMITTED) this.emitType(t, contId);
        }
        break;
      }
    }
  }

  // ---- layout (layout.ts alignOf/sizeOf semantics; a type without one counts as 0) ----

  private alignOf(id: number): number {
    return this.alignRec(id, 0);
  }

  private alignRec(id: number, depth: number): number {
    if (depth > MAX_RESOLVE_DEPTH) return 0;
    const a = this.aligns;
    const hit = a[id]!;
    if (hit > 0) return hit;
    if (hit !== 0) return 0; // in progress (contains itself) or none
    const k = this.kinds[id]!;
    const w = this.w;
    const p = this.rec[id]!;
    let r = 0;
    switch (k) {
      case K_INT:
      case K_ENUM:
      case K_FLOAT:
      case K_ENUM64:
        r = Math.min(PTR_SZ, w[p + 2]!);
        break;
      case K_PTR:
        r = PTR_SZ;
        break;
      case K_TYPEDEF:
      case K_VOLATILE:
      case K_CONST:
      case K_RESTRICT:
      case K_VAR:
      case K_TYPE_TAG:
        a[id] = -1;
        r = this.alignRec(w[p + 2]!, depth + 1);
        if (r === 0) a[id] = -2;
        break;
      case K_ARRAY:
        a[id] = -1;
        r = this.alignRec(w[p + 3]!, depth + 1);
        if (r === 0) a[id] = -2;
        break;
      case K_STRUCT:
      case K_UNION: {
        a[id] = -1;
        const info = w[p + 1]!;
        const n = info & 0xffff;
        const kflag = info >>> 31 === 1;
        let max = 1;
        let packed = false;
        for (let j = 0, q = p + 3; j < n; j++, q += 3) {
          const ma = this.alignRec(w[q + 1]!, depth + 1);
          if (ma === 0) {
            a[id] = -2;
            return 0;
          }
          if (ma > max) max = ma;
          const off = w[q + 2]!;
          // A member off its natural alignment means the struct is packed.
          if ((!kflag || off >>> 24 === 0) && (kflag ? off & 0xffffff : off) % (8 * ma) !== 0) packed = true;
        }
        r = packed || w[p + 2]! % max !== 0 ? 1 : max;
        break;
      }
      default:
        return 0;
    }
    if (r === 0) {
      a[id] = -2;
      return 0;
    }
    a[id] = r;
    return r;
  }

  private sizeOf(id: number): number {
    const w = this.w;
    let mult = 1;
    for (let d = 0; d <= MAX_RESOLVE_DEPTH; d++) {
      const p = this.rec[id]!;
      switch (this.kinds[id]) {
        case K_INT:
        case K_STRUCT:
        case K_UNION:
        case K_ENUM:
        case K_DATASEC:
        case K_FLOAT:
        case K_ENUM64:
          return mult * w[p + 2]!;
        case K_PTR:
          return mult * PTR_SZ;
        case K_TYPEDEF:
        case K_VOLATILE:
        case K_CONST:
        case K_RESTRICT:
        case K_VAR:
        case K_TYPE_TAG:
          id = w[p + 2]!;
          break;
        case K_ARRAY:
          mult *= w[p + 5]!;
          if (mult > 0xffffffff) return 0;
          id = w[p + 3]!;
          break;
        default:
          return 0;
      }
    }
    return 0;
  }

  private isStructPacked(id: number): boolean {
    const w = this.w;
    const p = this.rec[id]!;
    const info = w[p + 1]!;
    const n = info & 0xffff;
    const kflag = info >>> 31 === 1;
    let max = 1;
    for (let j = 0, q = p + 3; j < n; j++, q += 3) {
      const a = this.alignOf(w[q + 1]!);
      const off = w[q + 2]!;
      if (a && (!kflag || off >>> 24 === 0) && (kflag ? off & 0xffffff : off) % (8 * a) !== 0) return true;
      if (a > max) max = a;
    }
    return w[p + 2]! % max !== 0;
  }

  // ---- output ----

  /** Newline, then `lvl` tabs (libbpf caps the indent at 13). */
  private nlTabs(lvl: number): void {
    this.out.nlTabs(Math.min(lvl, MAX_TABS));
  }

  private padLine(lvl: number, pad: number, bits: number): void {
    this.nlTabs(lvl);
    const out = this.out;
    out.lit(PAD_NAMES[pad]!);
    out.lit(L.colonSp);
    out.uint(bits);
    out.byte(59); // ;
  }

  private emitBitPadding(
    curOff: number,
    nextOff: number,
    nextAlign: number,
    inBitfield: boolean,
    lvl: number,
  ): void {
    if (curOff >= nextOff) return;
    // Real types never need more than a few KiB of padding markers; refuse absurd gaps.
    if (nextOff - curOff > MAX_PAD_BITS)
      throw new BtfError(-1, `padding of ${nextOff - curOff} bits is too large to dump`);
    let newOff = 0;
    let pad = 0;
    for (pad = 0; pad < PAD_BITS.length; pad++) {
      newOff = roundup(curOff, PAD_BITS[pad]!);
      if (newOff <= nextOff) break;
    }
    if (pad === PAD_BITS.length) pad--;
    let padBits = PAD_BITS[pad]!;
    if (newOff > curOff && newOff <= nextOff) {
      if (
        inBitfield ||
        (newOff === nextOff && roundup(curOff, nextAlign * 8) !== newOff) ||
        (newOff !== nextOff && nextOff - newOff <= newOff - curOff)
      ) {
        this.padLine(lvl, pad, inBitfield ? newOff - curOff : 0);
      }
      curOff = newOff;
    }
    while (curOff !== nextOff) {
      const bits = Math.min(nextOff - curOff, padBits);
      if (bits === padBits) {
        this.padLine(lvl, pad, padBits);
        curOff += bits;
        continue;
      }
      for (let i = PAD_BITS.length - 1; i >= 0; i--) {
        pad = i;
        padBits = PAD_BITS[i]!;
        if (padBits < bits) continue;
        this.padLine(lvl, i, bits);
        curOff += bits;
        break;
      }
    }
  }

  private emitStructFwd(id: number): void {
    const out = this.out;
    if (this.w[this.rec[id]!] !== 0) {
      out.lit(this.kinds[id] === K_STRUCT ? L.structSp : L.unionSp);
      this.typeName(id);
    } else {
      out.lit(this.kinds[id] === K_STRUCT ? L.struct : L.union);
    }
  }

  private emitStructDef(id: number, lvl: number): void {
    const w = this.w;
    const p = this.rec[id]!;
    const out = this.out;
    const isStruct = this.kinds[id] === K_STRUCT;
    const info = w[p + 1]!;
    const n = info & 0xffff;
    const kflag = info >>> 31 === 1;
    const size = w[p + 2]!;
    const align = this.alignOf(id);
    const packed = isStruct ? this.isStructPacked(id) : false;
    this.emitStructFwd(id);
    out.lit(L.openBrace);
    let off = 0;
    let prevBitfield = false;
    for (let j = 0, q = p + 3; j < n; j++, q += 3) {
      const mType = w[q + 1]!;
      const raw = w[q + 2]!;
      let mSz = kflag ? raw >>> 24 : 0;
      const mOff = kflag ? raw & 0xffffff : raw;
      // The member's alignment only matters when there is a gap before it.
      if (off < mOff)
        this.emitBitPadding(off, mOff, packed ? 1 : this.alignOf(mType), prevBitfield && mSz !== 0, lvl + 1);
      this.nlTabs(lvl + 1);
      this.emitTypeDecl(mType, w[q]!, 0, lvl + 1);
      if (mSz) {
        out.lit(L.colonSp);
        out.uint(mSz);
        off = mOff + mSz;
        prevBitfield = true;
      } else {
        mSz = this.sizeOf(mType);
        off = mOff + mSz * 8;
        prevBitfield = false;
      }
      out.byte(59); // ;
    }
    if (isStruct) this.emitBitPadding(off, size * 8, align, false, lvl + 1);
    if (n || size) {
      this.nlTabs(lvl);
    }
    out.byte(125); // }
    if (packed) out.lit(L.packed);
  }

  private emitEnumDef(id: number, lvl: number): void {
    const w = this.w;
    const p = this.rec[id]!;
    const out = this.out;
    const info = w[p + 1]!;
    const n = info & 0xffff;
    const signed = info >>> 31 === 1;
    const is64 = this.kinds[id] === K_ENUM64;
    if (w[p] !== 0) {
      out.lit(L.enumSp);
      this.typeName(id);
    } else {
      out.lit(L.enumKw);
    }
    if (!n) return;
    out.lit(L.openBrace);
    const step = is64 ? 3 : 2;
    let word = true;
    for (let j = 0, q = p + 3; j < n; j++, q += step) {
      const nameOff = w[q]!;
      this.nlTabs(lvl + 1);
      out.cstr(this.strs, nameOff);
      const dup = ++this.counts.idents[this.counts.slot(nameOff)]!;
      if (dup > 1) {
        out.lit(L.dup);
        out.uint(dup);
      }
      out.lit(L.eqSp);
      if (!is64) {
        if (signed) out.int(w[q + 1]! | 0);
        else out.uint(w[q + 1]!);
      } else {
        const lo = w[q + 1]!;
        const hi = w[q + 2]!;
        if (hi !== 0) word = false;
        if (hi === 0 && lo <= 0xffffffff) out.uint(lo);
        else {
          const raw = (BigInt(hi) << 32n) | BigInt(lo);
          out.lit(ascii(String(signed ? BigInt.asIntN(64, raw) : raw)));
        }
        out.lit(signed ? L.LL : L.ULL);
      }
      out.byte(44); // ,
    }
    this.nlTabs(lvl);
    out.byte(125);
    const size = w[p + 2]!;
    if (size === 1 && this.enumModeByte) out.lit(L.modeByte);
    else if (size === 8 && PTR_SZ === 8 && word) out.lit(L.modeWord);
  }

  private emitFwdDef(id: number): void {
    const info = this.w[this.rec[id]! + 1]!;
    this.out.lit(info >>> 31 ? L.unionSp : L.structSp);
    this.typeName(id);
  }

  private emitTypedefDef(id: number, lvl: number): void {
    const p = this.rec[id]!;
    const nameOff = this.w[p]!;
    const dup = this.identDup(id);
    const target = this.w[p + 2]!;
    if (target === 0 && dup <= 1 && nameOff !== 0 && this.strIs(nameOff, GNUC_VA_LIST)) {
      this.out.lit(L.gnucVaList);
      return;
    }
    this.out.lit(L.typedefSp);
    this.emitTypeDecl(target, nameOff, dup, lvl);
  }

  /** A declaration of the name at string offset `fOff` (with ___`fDup` when > 1) with type `id`. */
  private emitTypeDecl(id: number, fOff: number, fDup: number, lvl: number): void {
    const start = this.sp;
    const w = this.w;
    for (;;) {
      if (this.sp === this.stack.length) {
        if (this.sp - start > 4096)
          throw new BtfError(this.btf.recordOffset(id), 'declaration chain too long');
        const g = new Int32Array(this.stack.length * 2);
        g.set(this.stack);
        this.stack = g;
      }
      this.stack[this.sp++] = id;
      if (id === 0) break;
      const k = this.kinds[id]!;
      if (k === K_PTR || isMod(k) || k === K_FUNC_PROTO) {
        id = w[this.rec[id]! + 2]!;
      } else if (k === K_ARRAY) {
        id = w[this.rec[id]! + 3]!;
      } else {
        break;
      }
      if (this.sp - start > 4096) throw new BtfError(this.btf.recordOffset(id), 'declaration chain too long');
    }
    this.emitTypeChain(start, fOff, fDup, lvl);
    this.sp = start;
  }

  private emitMods(start: number): void {
    const out = this.out;
    while (this.sp > start) {
      const k = this.kinds[this.stack[this.sp - 1]!];
      if (k === K_VOLATILE) out.lit(L.volatileSp);
      else if (k === K_CONST) out.lit(L.constSp);
      else if (k === K_RESTRICT) out.lit(L.restrictSp);
      else return;
      this.sp--;
    }
  }

  private dropMods(start: number): void {
    while (this.sp > start && isMod(this.kinds[this.stack[this.sp - 1]!]!)) this.sp--;
  }

  /** Is the declared name empty (libbpf prints no space then)? */
  private emptyName(fOff: number, fDup: number): boolean {
    return (fOff === 0 || this.strs[fOff] === 0) && fDup <= 1;
  }

  private emitName(fOff: number, fDup: number, lastWasPtr: boolean): void {
    if (this.emptyName(fOff, fDup)) return;
    const out = this.out;
    if (!lastWasPtr) out.byte(32);
    if (fOff !== 0) out.cstr(this.strs, fOff);
    if (fDup > 1) {
      out.lit(L.dup);
      out.uint(fDup);
    }
  }

  /** Pops the chain above `start` (innermost type on top) printing the declaration. */
  private emitTypeChain(start: number, fOff: number, fDup: number, lvl: number): void {
    const w = this.w;
    const out = this.out;
    let lastWasPtr = true;
    while (this.sp > start) {
      const id = this.stack[--this.sp]!;
      if (id === 0) {
        this.emitMods(start);
        out.lit(L.void);
        lastWasPtr = false;
        continue;
      }
      const k = this.kinds[id]!;
      const p = this.rec[id]!;
      switch (k) {
        case K_INT:
        case K_FLOAT:
          this.emitMods(start);
          out.cstr(this.strs, w[p]!);
          break;
        case K_STRUCT:
        case K_UNION:
          this.emitMods(start);
          if (w[p] === 0) this.emitStructDef(id, lvl);
          else this.emitStructFwd(id);
          break;
        case K_ENUM:
        case K_ENUM64:
          this.emitMods(start);
          if (w[p] === 0) this.emitEnumDef(id, lvl);
          else {
            out.lit(L.enumSp);
            this.typeName(id);
          }
          break;
        case K_FWD:
          this.emitMods(start);
          this.emitFwdDef(id);
          break;
        case K_TYPEDEF:
          this.emitMods(start);
          this.identName(id);
          break;
        case K_PTR:
          if (lastWasPtr) out.byte(42);
          else out.lit(L.spStar);
          break;
        case K_VOLATILE:
          out.lit(L.spVolatile);
          break;
        case K_CONST:
          out.lit(L.spConst);
          break;
        case K_RESTRICT:
          out.lit(L.spRestrict);
          break;
        case K_TYPE_TAG: {
          this.emitMods(start);
          if (w[p + 1]! >>> 31) {
            out.lit(L.attrOpen);
            out.cstr(this.strs, w[p]!);
            out.lit(L.attrClose);
          } else {
            out.lit(L.typeTagOpen);
            out.cstr(this.strs, w[p]!);
            out.lit(L.typeTagClose);
          }
          break;
        }
        case K_ARRAY: {
          const nelems = w[p + 5]!;
          this.dropMods(start);
          if (this.sp === start) {
            this.emitName(fOff, fDup, lastWasPtr);
            out.byte(91);
            out.uint(nelems);
            out.byte(93);
            return;
          }
          const multidim = this.kinds[this.stack[this.sp - 1]!] === K_ARRAY;
          if (!this.emptyName(fOff, fDup) && !lastWasPtr) out.byte(32);
          if (!multidim) out.byte(40);
          this.emitTypeChain(start, fOff, fDup, lvl);
          if (!multidim) out.byte(41);
          out.byte(91);
          out.uint(nelems);
          out.byte(93);
          return;
        }
        case K_FUNC_PROTO: {
          this.dropMods(start);
          if (this.sp > start) {
            out.lit(L.spParen);
            this.emitTypeChain(start, fOff, fDup, lvl);
            out.byte(41);
          } else {
            this.emitName(fOff, fDup, lastWasPtr);
          }
          out.byte(40);
          const n = w[p + 1]! & 0xffff;
          if (n === 0 || (n === 1 && w[p + 4] === 0)) {
            out.lit(L.voidParen);
            return;
          }
          for (let i = 0, q = p + 3; i < n; i++, q += 2) {
            if (i > 0) out.lit(L.commaSp);
            const t = w[q + 1]!;
            if (i === n - 1 && t === 0) {
              out.lit(L.ellipsis);
              break;
            }
            this.emitTypeDecl(t, w[q]!, 0, lvl);
          }
          out.byte(41);
          return;
        }
        default:
          return;
      }
      lastWasPtr = k === K_PTR;
    }
    this.emitName(fOff, fDup, lastWasPtr);
  }

  // ---- names ----

  /** The ___N count of type `id`'s name, counted in `byName` on first use (btf_dump_resolve_name). */
  private resolveDup(id: number, byName: Int32Array): number {
    const cached = this.nameDup[id]!;
    if (cached !== 0) return cached;
    const p = this.rec[id]!;
    const k = this.kinds[id]!;
    let dup = 1;
    if (!(k === K_FWD || (k === K_ENUM && (this.w[p + 1]! & 0xffff) === 0))) {
      const n = ++byName[this.counts.slot(this.w[p]!)]!;
      if (n > 1) dup = n;
    }
    this.nameDup[id] = dup;
    return dup;
  }

  private identDup(id: number): number {
    return this.w[this.rec[id]!] === 0 ? 0 : this.resolveDup(id, this.counts.idents);
  }

  private writeName(id: number, byName: Int32Array): void {
    const off = this.w[this.rec[id]!]!;
    if (off === 0) return;
    const dup = this.resolveDup(id, byName);
    this.out.cstr(this.strs, off);
    if (dup > 1) {
      this.out.lit(L.dup);
      this.out.uint(dup);
    }
  }

  private typeName(id: number): void {
    this.writeName(id, this.counts.types);
  }

  private identName(id: number): void {
    this.writeName(id, this.counts.idents);
  }
}

function roundup(x: number, y: number): number {
  return Math.ceil(x / y) * y;
}
