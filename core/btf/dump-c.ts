// BTF → compilable C header, following libbpf's btf_dump algorithm (the one
// behind `bpftool btf dump file F format c`): a topological pass decides the
// emission order (strong links must be defined first, weak ones get forward
// declarations), then each type is printed with libbpf's declarator rules,
// padding markers and ___N suffixes for duplicate names.
import type { Btf, BtfComposite } from './btf';
import { BtfError } from './error';
import { alignOf, sizeOf } from './layout';

const ORDERING = 1;
const ORDERED = 2;
const NOT_EMITTED = 0;
const EMITTING = 1;
const EMITTED = 2;

const PTR_SZ = 8;
const MAX_PAD_BITS = 1 << 24;
/** Padding marker types, widest first (btf_dump_emit_bit_padding). */
const PADS: readonly (readonly [string, number])[] = [
  ['long', PTR_SZ * 8],
  ['int', 32],
  ['short', 16],
  ['char', 8],
];
const TABS = '\t'.repeat(13);
const pfx = (lvl: number): string => (lvl >= TABS.length ? TABS : TABS.slice(0, lvl));

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

export interface DumpCOptions {
  /** Wrap in the vmlinux.h guards and preserve_access_index pragma like bpftool (default true). */
  header?: boolean;
  /**
   * Mark 1-byte enums with __attribute__((mode(byte))) as libbpf ≥ 1.2 does.
   * Off by default to match the reference bpftool (v7.1, libbpf 1.1).
   */
  enumModeByte?: boolean;
}

/** The C dump of every type (bpftool btf dump file F format c). */
export function dumpBtfC(btf: Btf, opts: DumpCOptions = {}): string {
  const d = new CDumper(btf, opts.enumModeByte ?? false);
  const header = opts.header ?? true;
  if (header) {
    d.out.push(
      '#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n',
      '#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n',
      '#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n#endif\n\n',
    );
  }
  // Split BTF: the base's types too, so the header compiles on its own (as bpftool does).
  for (let id = 1; id < btf.typeCount; id++) d.dumpType(id);
  d.flush();
  if (header) {
    d.out.push('#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n#pragma clang attribute pop\n#endif\n\n');
    d.out.push('#endif /* __VMLINUX_H__ */\n');
  }
  return d.out.join('');
}

class CDumper {
  readonly out: string[] = [];
  private readonly order: Uint8Array;
  private readonly emit: Uint8Array;
  private readonly fwdEmitted: Uint8Array;
  private readonly referenced: Uint8Array;
  private readonly names = new Map<number, string>();
  private readonly typeNames = new Map<string, number>();
  private readonly identNames = new Map<string, number>();
  private queue: number[] = [];

  constructor(
    private readonly btf: Btf,
    private readonly enumModeByte: boolean,
  ) {
    const n = btf.typeCount;
    this.order = new Uint8Array(n);
    this.emit = new Uint8Array(n);
    this.fwdEmitted = new Uint8Array(n);
    this.referenced = new Uint8Array(n);
    this.order[0] = ORDERED;
    this.emit[0] = EMITTED;
    this.markReferenced();
  }

  private cur = '';

  // Concatenate into a rope and hand out ~64K pieces: far fewer array slots and less GC than one push per token.
  private p(s: string): void {
    this.cur += s;
    if (this.cur.length > 65536) {
      this.out.push(this.cur);
      this.cur = '';
    }
  }

  flush(): void {
    if (this.cur) this.out.push(this.cur);
    this.cur = '';
  }

  /** Types referenced from other types (decides which anonymous enums are top-level). */
  private markReferenced(): void {
    const b = this.btf;
    const r = this.referenced;
    for (let id = 1; id < b.typeCount; id++) {
      const k = b.kindOf(id);
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
          r[b.sizeOrTypeOf(id)] = 1;
          break;
        case K_ARRAY:
          r[b.word(id, 3)] = 1;
          r[b.word(id, 4)] = 1;
          break;
        case K_STRUCT:
        case K_UNION:
        case K_DATASEC: {
          const n = b.vlenOf(id);
          const off = k === K_DATASEC ? 3 : 4;
          for (let j = 0; j < n; j++) r[b.word(id, off + j * 3)] = 1;
          break;
        }
        case K_FUNC_PROTO: {
          const n = b.vlenOf(id);
          for (let j = 0; j < n; j++) r[b.word(id, 4 + j * 2)] = 1;
          break;
        }
      }
    }
  }

  dumpType(id: number): void {
    this.queue = [];
    this.orderType(id, false);
    for (const q of this.queue) this.emitType(q, 0);
  }

  /** 1 = strong link (must be defined first), 0 = weak (a forward declaration will do). */
  private orderType(id: number, throughPtr: boolean): number {
    const b = this.btf;
    const st = this.order[id];
    if (st === ORDERED) return 1;
    const k = b.kindOf(id);
    if (st === ORDERING) {
      if ((k === K_STRUCT || k === K_UNION) && throughPtr && b.nameOffOf(id) !== 0) return 0;
      throw new BtfError(b.recordOffset(id), `unsatisfiable type cycle, id:[${id}]`);
    }
    switch (k) {
      case K_INT:
      case K_FLOAT:
        this.order[id] = ORDERED;
        return 0;
      case K_PTR: {
        const r = this.orderType(b.sizeOrTypeOf(id), true);
        this.order[id] = ORDERED;
        return r;
      }
      case K_ARRAY:
        return this.orderType(b.word(id, 3), false);
      case K_STRUCT:
      case K_UNION: {
        if (throughPtr && b.nameOffOf(id) !== 0) return 0;
        this.order[id] = ORDERING;
        const n = b.vlenOf(id);
        for (let j = 0; j < n; j++) this.orderType(b.word(id, 4 + j * 3), false);
        if (b.nameOffOf(id) !== 0) this.queue.push(id);
        this.order[id] = ORDERED;
        return 1;
      }
      case K_ENUM:
      case K_ENUM64:
      case K_FWD:
        if (b.nameOffOf(id) !== 0 || !this.referenced[id]) this.queue.push(id);
        this.order[id] = ORDERED;
        return 1;
      case K_TYPEDEF: {
        const strong = this.orderType(b.sizeOrTypeOf(id), throughPtr);
        if (throughPtr && !strong) return 0;
        this.queue.push(id);
        this.order[id] = ORDERED;
        return 1;
      }
      case K_VOLATILE:
      case K_CONST:
      case K_RESTRICT:
      case K_TYPE_TAG:
        return this.orderType(b.sizeOrTypeOf(id), throughPtr);
      case K_FUNC_PROTO: {
        let strong = this.orderType(b.sizeOrTypeOf(id), throughPtr) > 0;
        const n = b.vlenOf(id);
        for (let j = 0; j < n; j++) if (this.orderType(b.word(id, 4 + j * 2), throughPtr) > 0) strong = true;
        return strong ? 1 : 0;
      }
      default: // FUNC, VAR, DATASEC, DECL_TAG
        this.order[id] = ORDERED;
        return 0;
    }
  }

  private isBlacklisted(id: number): boolean {
    return this.btf.nameOffOf(id) !== 0 && this.btf.nameOf(id) === '__builtin_va_list';
  }

  private emitType(id: number, contId: number): void {
    const b = this.btf;
    const es = this.emit[id];
    if (es === EMITTED) return;
    const k = b.kindOf(id);
    const topLevel = contId === 0;
    if (es === EMITTING) {
      if (this.fwdEmitted[id]) return;
      if (k === K_STRUCT || k === K_UNION) {
        if (id === contId) return;
        if (b.nameOffOf(id) === 0) return; // anonymous struct/union loop
        this.emitStructFwd(id);
        this.p(';\n\n');
        this.fwdEmitted[id] = 1;
      } else if (k === K_TYPEDEF) {
        if (!this.isBlacklisted(id)) {
          this.emitTypedefDef(id, 0);
          this.p(';\n\n');
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
          this.p(';\n\n');
        }
        this.emit[id] = EMITTED;
        break;
      case K_PTR:
      case K_VOLATILE:
      case K_CONST:
      case K_RESTRICT:
      case K_TYPE_TAG:
        this.emitType(b.sizeOrTypeOf(id), contId);
        break;
      case K_ARRAY:
        this.emitType(b.word(id, 3), contId);
        break;
      case K_FWD:
        this.emitFwdDef(id);
        this.p(';\n\n');
        this.emit[id] = EMITTED;
        break;
      case K_TYPEDEF:
        this.emit[id] = EMITTING;
        this.emitType(b.sizeOrTypeOf(id), id);
        if (!this.fwdEmitted[id] && !this.isBlacklisted(id)) {
          this.emitTypedefDef(id, 0);
          this.p(';\n\n');
        }
        this.emit[id] = EMITTED;
        break;
      case K_STRUCT:
      case K_UNION: {
        this.emit[id] = EMITTING;
        const anon = b.nameOffOf(id) === 0;
        if (topLevel || anon) {
          const n = b.vlenOf(id);
          const cont = anon ? contId : id;
          for (let j = 0; j < n; j++) this.emitType(b.word(id, 4 + j * 3), cont);
        } else if (!this.fwdEmitted[id] && id !== contId) {
          this.emitStructFwd(id);
          this.p(';\n\n');
          this.fwdEmitted[id] = 1;
        }
        if (topLevel) {
          this.emitStructDef(id, 0);
          this.p(';\n\n');
          this.emit[id] = EMITTED;
        } else {
          this.emit[id] = NOT_EMITTED;
        }
        break;
      }
      case K_FUNC_PROTO: {
        this.emitType(b.sizeOrTypeOf(id), contId);
        const n = b.vlenOf(id);
        for (let j = 0; j < n; j++) this.emitType(b.word(id, 4 + j * 2), contId);
        break;
      }
    }
  }

  private alignOf(id: number): number {
    try {
      return alignOf(this.btf, id);
    } catch {
      return 0;
    }
  }

  private sizeOf(id: number): number {
    try {
      return Math.max(0, sizeOf(this.btf, id));
    } catch {
      return 0;
    }
  }

  private isStructPacked(t: BtfComposite): boolean {
    let max = 1;
    for (const m of t.members) {
      const a = this.alignOf(m.type);
      if (a && m.bitfieldSize === 0 && m.bitOffset % (8 * a) !== 0) return true;
      max = Math.max(a, max);
    }
    return t.size % max !== 0;
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
    let padBits = 0;
    let padType = '';
    for (const [name, bits] of PADS) {
      padBits = bits;
      padType = name;
      newOff = roundup(curOff, padBits);
      if (newOff <= nextOff) break;
    }
    if (newOff > curOff && newOff <= nextOff) {
      if (
        inBitfield ||
        (newOff === nextOff && roundup(curOff, nextAlign * 8) !== newOff) ||
        (newOff !== nextOff && nextOff - newOff <= newOff - curOff)
      ) {
        this.p(`\n${pfx(lvl)}${padType}: ${inBitfield ? newOff - curOff : 0};`);
      }
      curOff = newOff;
    }
    while (curOff !== nextOff) {
      const bits = Math.min(nextOff - curOff, padBits);
      if (bits === padBits) {
        this.p(`\n${pfx(lvl)}${padType}: ${padBits};`);
        curOff += bits;
        continue;
      }
      for (let i = PADS.length - 1; i >= 0; i--) {
        const [name, pb] = PADS[i]!;
        padType = name;
        padBits = pb;
        if (pb < bits) continue;
        this.p(`\n${pfx(lvl)}${name}: ${bits};`);
        curOff += bits;
        break;
      }
    }
  }

  private emitStructFwd(id: number): void {
    const b = this.btf;
    const kw = b.kindOf(id) === K_STRUCT ? 'struct' : 'union';
    this.p(`${kw}${b.nameOffOf(id) ? ' ' : ''}${this.typeName(id)}`);
  }

  private emitStructDef(id: number, lvl: number): void {
    const b = this.btf;
    const t = b.typeOfKind(id, 'STRUCT', 'UNION');
    const isStruct = t.kind === 'STRUCT';
    const align = this.alignOf(id);
    const packed = isStruct ? this.isStructPacked(t) : false;
    this.p(`${isStruct ? 'struct' : 'union'}${t.nameOff ? ' ' : ''}${this.typeName(id)} {`);
    let off = 0;
    let prevBitfield = false;
    for (const m of t.members) {
      let mSz = m.bitfieldSize;
      const mOff = m.bitOffset;
      const mAlign = packed ? 1 : this.alignOf(m.type);
      const inBitfield = prevBitfield && mSz !== 0;
      this.emitBitPadding(off, mOff, mAlign, inBitfield, lvl + 1);
      this.p(`\n${pfx(lvl + 1)}`);
      this.emitTypeDecl(m.type, m.name, lvl + 1);
      if (mSz) {
        this.p(`: ${mSz}`);
        off = mOff + mSz;
        prevBitfield = true;
      } else {
        mSz = this.sizeOf(m.type);
        off = mOff + mSz * 8;
        prevBitfield = false;
      }
      this.p(';');
    }
    if (isStruct) this.emitBitPadding(off, t.size * 8, align, false, lvl + 1);
    if (t.members.length || t.size) {
      this.p('\n');
      this.p(`${pfx(lvl)}}`);
    } else {
      this.p('}');
    }
    if (packed) this.p(' __attribute__((packed))');
  }

  private emitEnumFwd(id: number): void {
    this.p(`enum ${this.typeName(id)}`);
  }

  private emitEnumDef(id: number, lvl: number): void {
    const b = this.btf;
    const t = b.typeOfKind(id, 'ENUM', 'ENUM64');
    this.p(`enum${t.nameOff ? ' ' : ''}${this.typeName(id)}`);
    if (!t.values.length) return;
    this.p(' {');
    if (t.kind === 'ENUM') {
      for (const v of t.values) {
        const dup = this.nameDups(this.identNames, v.name);
        this.p(`\n${pfx(lvl + 1)}${v.name}${dup > 1 ? `___${dup}` : ''} = ${v.value},`);
      }
    } else {
      const suffix = t.signed ? 'LL' : 'ULL';
      for (const v of t.values) {
        const dup = this.nameDups(this.identNames, v.name);
        this.p(`\n${pfx(lvl + 1)}${v.name}${dup > 1 ? `___${dup}` : ''} = ${v.value}${suffix},`);
      }
    }
    this.p(`\n${pfx(lvl)}}`);
    if (t.size === 1 && this.enumModeByte) {
      this.p(' __attribute__((mode(byte)))');
    } else if (t.size === 8 && PTR_SZ === 8) {
      let word = true;
      if (t.kind === 'ENUM64') {
        for (const v of t.values) {
          if (BigInt.asUintN(64, v.value) >> 32n !== 0n) {
            word = false;
            break;
          }
        }
      }
      if (word) this.p(' __attribute__((mode(word)))');
    }
  }

  private emitFwdDef(id: number): void {
    const name = this.typeName(id);
    this.p(this.btf.kflagOf(id) ? `union ${name}` : `struct ${name}`);
  }

  private emitTypedefDef(id: number, lvl: number): void {
    const name = this.identName(id);
    const target = this.btf.sizeOrTypeOf(id);
    if (target === 0 && name === '__gnuc_va_list') {
      this.p('typedef __builtin_va_list __gnuc_va_list');
      return;
    }
    this.p('typedef ');
    this.emitTypeDecl(target, name, lvl);
  }

  /** A declaration of `fname` with type `id`, C declarator syntax. */
  private emitTypeDecl(id: number, fname: string, lvl: number): void {
    const b = this.btf;
    const stack: number[] = [];
    for (;;) {
      stack.push(id);
      if (id === 0) break;
      const k = b.kindOf(id);
      if (k === K_PTR || isMod(k) || k === K_FUNC_PROTO) {
        id = b.sizeOrTypeOf(id);
      } else if (k === K_ARRAY) {
        id = b.word(id, 3);
      } else {
        break;
      }
      if (stack.length > 4096) throw new BtfError(b.recordOffset(id), 'declaration chain too long');
    }
    this.emitTypeChain(stack, fname, lvl);
  }

  private emitMods(decls: number[]): void {
    const b = this.btf;
    while (decls.length) {
      const k = b.kindOf(decls[decls.length - 1]!);
      if (k === K_VOLATILE) this.p('volatile ');
      else if (k === K_CONST) this.p('const ');
      else if (k === K_RESTRICT) this.p('restrict ');
      else return;
      decls.pop();
    }
  }

  private dropMods(decls: number[]): void {
    while (decls.length && isMod(this.btf.kindOf(decls[decls.length - 1]!))) decls.pop();
  }

  private emitName(name: string, lastWasPtr: boolean): void {
    this.p(name && !lastWasPtr ? ` ${name}` : name);
  }

  /** Pops `decls` (innermost type on top) printing the declaration. */
  private emitTypeChain(decls: number[], fname: string, lvl: number): void {
    const b = this.btf;
    let lastWasPtr = true;
    while (decls.length) {
      const id = decls.pop()!;
      if (id === 0) {
        this.emitMods(decls);
        this.p('void');
        lastWasPtr = false;
        continue;
      }
      const k = b.kindOf(id);
      switch (k) {
        case K_INT:
        case K_FLOAT:
          this.emitMods(decls);
          this.p(b.nameOf(id));
          break;
        case K_STRUCT:
        case K_UNION:
          this.emitMods(decls);
          if (b.nameOffOf(id) === 0) this.emitStructDef(id, lvl);
          else this.emitStructFwd(id);
          break;
        case K_ENUM:
        case K_ENUM64:
          this.emitMods(decls);
          if (b.nameOffOf(id) === 0) this.emitEnumDef(id, lvl);
          else this.emitEnumFwd(id);
          break;
        case K_FWD:
          this.emitMods(decls);
          this.emitFwdDef(id);
          break;
        case K_TYPEDEF:
          this.emitMods(decls);
          this.p(this.identName(id));
          break;
        case K_PTR:
          this.p(lastWasPtr ? '*' : ' *');
          break;
        case K_VOLATILE:
          this.p(' volatile');
          break;
        case K_CONST:
          this.p(' const');
          break;
        case K_RESTRICT:
          this.p(' restrict');
          break;
        case K_TYPE_TAG: {
          this.emitMods(decls);
          const name = b.nameOf(id);
          this.p(b.kflagOf(id) ? ` __attribute__((${name}))` : ` __attribute__((btf_type_tag("${name}")))`);
          break;
        }
        case K_ARRAY: {
          const nelems = b.word(id, 5);
          this.dropMods(decls);
          if (decls.length === 0) {
            this.emitName(fname, lastWasPtr);
            this.p(`[${nelems}]`);
            return;
          }
          const multidim = b.kindOf(decls[decls.length - 1]!) === K_ARRAY;
          if (fname && !lastWasPtr) this.p(' ');
          if (!multidim) this.p('(');
          this.emitTypeChain(decls, fname, lvl);
          if (!multidim) this.p(')');
          this.p(`[${nelems}]`);
          return;
        }
        case K_FUNC_PROTO: {
          const t = b.typeOfKind(id, 'FUNC_PROTO');
          this.dropMods(decls);
          if (decls.length) {
            this.p(' (');
            this.emitTypeChain(decls, fname, lvl);
            this.p(')');
          } else {
            this.emitName(fname, lastWasPtr);
          }
          this.p('(');
          const ps = t.params;
          if (ps.length === 0 || (ps.length === 1 && ps[0]!.type === 0)) {
            this.p('void)');
            return;
          }
          for (let i = 0; i < ps.length; i++) {
            if (i > 0) this.p(', ');
            if (i === ps.length - 1 && ps[i]!.type === 0) {
              this.p('...');
              break;
            }
            this.emitTypeDecl(ps[i]!.type, ps[i]!.name, lvl);
          }
          this.p(')');
          return;
        }
        default:
          return;
      }
      lastWasPtr = k === K_PTR;
    }
    this.emitName(fname, lastWasPtr);
  }

  private nameDups(map: Map<string, number>, name: string): number {
    const n = (map.get(name) ?? 0) + 1;
    map.set(name, n);
    return n;
  }

  private resolveName(id: number, map: Map<string, number>): string {
    const b = this.btf;
    if (b.nameOffOf(id) === 0) return '';
    const cached = this.names.get(id);
    if (cached !== undefined) return cached;
    const orig = b.nameOf(id);
    const k = b.kindOf(id);
    let name = orig;
    if (!(k === K_FWD || (k === K_ENUM && b.vlenOf(id) === 0))) {
      const dup = this.nameDups(map, orig);
      if (dup > 1) name = `${orig}___${dup}`;
    }
    this.names.set(id, name);
    return name;
  }

  private typeName(id: number): string {
    return this.resolveName(id, this.typeNames);
  }

  private identName(id: number): string {
    return this.resolveName(id, this.identNames);
  }
}

function roundup(x: number, y: number): number {
  return Math.ceil(x / y) * y;
}
