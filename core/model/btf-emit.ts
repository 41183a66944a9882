// Turns a model's C declarations into BTF with the BTF engineer's BtfBuilder, as split
// BTF on top of the reference vmlinux: a type vmlinux already has (by name and kind) is
// reused, a declared struct is added with computed layout, an unknown struct becomes a
// FWD. Kfunc prototypes become FUNC + FUNC_PROTO, so their ids are what a kfunc call's
// imm holds and their bytes are what a kfunc design costs in BTF.
import type { Btf } from '../btf/btf';
import { sizeOf } from '../btf/layout';
import { BtfBuilder } from '../btf/writer';
import { ANON_PREFIX, type CDecl, type CType } from './cdecl';
import type { ConfigMember, FuncType } from './resolve';

const BTF_INT_SIGNED = 1;
const BTF_INT_CHAR = 2;
const BTF_INT_BOOL = 4;

export class ModelBtfEmitter {
  readonly builder: BtfBuilder;
  private readonly memo = new Map<string, number>();
  private readonly structs = new Map<string, CDecl>();
  private readonly layouts = new Map<string, { size: number; align: number }>();
  /** Struct/union/enum names being laid out (recursion through pointers is fine, by value is not). */
  private readonly building = new Set<string>();

  /** Reference structs with members a kernel config adds (config_members), by struct name. */
  private readonly grafts = new Map<string, ConfigMember[]>();

  constructor(
    readonly base: Btf | undefined,
    decls: readonly CDecl[] = [],
    configMembers: readonly ConfigMember[] = [],
  ) {
    for (const c of configMembers) this.grafts.set(c.struct, [...(this.grafts.get(c.struct) ?? []), c]);
    this.builder = new BtfBuilder(base ? { base } : {});
    for (const d of decls)
      if (d.kind !== 'object' && d.kind !== 'typedef') this.structs.set(`${d.kind} ${d.name}`, d);
  }

  private fromBase(
    name: string,
    kind: 'INT' | 'STRUCT' | 'UNION' | 'ENUM' | 'TYPEDEF' | 'FUNC',
  ): number | undefined {
    if (!this.base || !name) return undefined;
    const id = this.base.findByName(name, kind);
    return id;
  }

  private get refIndex(): Map<string, number> | undefined {
    return this.base ? baseIndexes.get(this.base)?.ref : undefined;
  }
  private set refIndex(m: Map<string, number> | undefined) {
    if (this.base && m) baseIndexes.set(this.base, { ...baseIndexes.get(this.base), ref: m });
  }
  private get protoIndex(): Map<string, number> | undefined {
    return this.base ? baseIndexes.get(this.base)?.proto : undefined;
  }
  private set protoIndex(m: Map<string, number> | undefined) {
    if (this.base && m) baseIndexes.set(this.base, { ...baseIndexes.get(this.base), proto: m });
  }

  /** A base PTR/CONST/VOLATILE (kind 2/10/9) to `target`, as dedup would have merged it. */
  private baseRef(kind: number, target: number): number | undefined {
    const base = this.base;
    if (!base || target >= base.typeCount) return undefined;
    if (!this.refIndex) {
      const m = new Map<string, number>();
      for (let id = 1; id < base.typeCount; id++) {
        const k = base.kindOf(id);
        if (k === 2 || k === 9 || k === 10) {
          const key = `${k}:${base.sizeOrTypeOf(id)}`;
          if (!m.has(key)) m.set(key, id);
        }
      }
      this.refIndex = m;
    }
    return this.refIndex.get(`${kind}:${target}`);
  }

  /** A base FUNC_PROTO with the same return type, parameter types and names. */
  private baseProto(ret: number, params: readonly { name: string; type: number }[]): number | undefined {
    const base = this.base;
    if (!base || ret >= base.typeCount || params.some((p) => p.type >= base.typeCount)) return undefined;
    if (!this.protoIndex) {
      const m = new Map<string, number>();
      for (let id = 1; id < base.typeCount; id++) {
        if (base.kindOf(id) !== 13) continue;
        const t = base.type(id);
        if (t.kind !== 'FUNC_PROTO') continue;
        const key = protoKey(t.ret, t.params);
        if (!m.has(key)) m.set(key, id);
      }
      this.protoIndex = m;
    }
    return this.protoIndex.get(protoKey(ret, params));
  }

  /** BTF id of a C type, adding what is missing. */
  typeId(t: CType): number {
    const key = keyOf(t);
    const hit = this.memo.get(key);
    // -1: a struct still being emitted (reached through a pointer): refer to it by a FWD.
    if (hit === -1 && (t.kind === 'struct' || t.kind === 'union'))
      return this.builder.addFwd(t.name, t.kind === 'union');
    if (hit !== undefined) return hit;
    const id = this.emit(t);
    this.memo.set(key, id);
    return id;
  }

  private emit(t: CType): number {
    const b = this.builder;
    switch (t.kind) {
      case 'void':
        return 0;
      case 'int': {
        const enc =
          (t.signed ? BTF_INT_SIGNED : 0) | (t.char ? BTF_INT_CHAR : 0) | (t.bool ? BTF_INT_BOOL : 0);
        return (
          this.fromBase(t.name, 'INT') ??
          b.addInt(t.name, t.size, t.char && !t.signed ? 0 : enc & ~BTF_INT_CHAR)
        );
      }
      case 'typedef':
        return this.fromBase(t.name, 'TYPEDEF') ?? b.addTypedef(t.name, this.typeId(t.target));
      case 'ptr': {
        const to = this.typeId(t.to);
        return this.baseRef(2, to) ?? b.addPtr(to);
      }
      case 'const': {
        const of = this.typeId(t.of);
        return this.baseRef(10, of) ?? b.addConst(of);
      }
      case 'volatile': {
        const of = this.typeId(t.of);
        return this.baseRef(9, of) ?? b.addVolatile(of);
      }
      case 'array': {
        const idx = this.typeId({ kind: 'int', name: 'int', size: 4, signed: true });
        return b.addArray(this.typeId(t.of), idx, t.len);
      }
      case 'func': {
        const ret = this.typeId(t.ret);
        const params = t.params.map((p) => ({ name: p.name ?? '', type: this.typeId(p.type) }));
        // pahole/BTF dedup keeps one copy of identical prototypes: reuse the base's.
        return this.baseProto(ret, params) ?? b.addFuncProto(ret, params);
      }
      case 'struct':
      case 'union':
      case 'enum':
        return this.tagged(t.kind, t.name);
    }
  }

  private tagged(kind: 'struct' | 'union' | 'enum', name: string): number {
    const decl = this.structs.get(`${kind} ${name}`);
    const defined = decl && (decl.kind !== 'struct' && decl.kind !== 'union' ? true : decl.fields !== null);
    if (!defined) {
      const baseKind = kind === 'struct' ? 'STRUCT' : kind === 'union' ? 'UNION' : 'ENUM';
      const fromBase = this.fromBase(name, baseKind);
      const grafts = kind === 'struct' ? this.grafts.get(name) : undefined;
      if (fromBase !== undefined && grafts) return this.grafted(name, fromBase, grafts);
      if (fromBase !== undefined) return fromBase;
      return kind === 'enum'
        ? this.builder.addEnum(name, 4, [], false)
        : this.builder.addFwd(name, kind === 'union');
    }
    if (decl.kind === 'enum') {
      return this.builder.addEnum(
        name.startsWith(ANON_PREFIX) ? '' : name,
        decl.size,
        decl.values.map((v) => ({ name: v.name, value: v.value })),
        decl.values.some((v) => v.value < 0),
      );
    }
    if ((decl.kind !== 'struct' && decl.kind !== 'union') || kind === 'enum')
      throw new Error(`unexpected ${decl.kind}`);
    const placeholderKey = keyOf({ kind, name });
    const fields = decl.fields!;
    const layout = this.layoutOf(kind, name);
    const members: { name: string; type: number; bitOffset: number }[] = [];
    // Member types are emitted before the struct record, so pointer cycles get a FWD.
    this.memo.set(placeholderKey, -1);
    const offsets = this.fieldOffsets(kind, name);
    fields.forEach((f, i) => {
      const id = this.typeId(f.type);
      members.push({ name: f.name, type: id, bitOffset: offsets[i]! * 8 });
    });
    const btfName = name.startsWith(ANON_PREFIX) ? '' : name;
    return kind === 'struct'
      ? this.builder.addStruct(btfName, layout.size, members)
      : this.builder.addUnion(btfName, layout.size, members);
  }

  /**
   * The reference struct `baseId` with config members inserted after the members they follow;
   * the members after each move by a multiple of 64 bytes, so every alignment holds.
   */
  private grafted(name: string, baseId: number, grafts: readonly ConfigMember[]): number {
    const base = this.base!;
    const t = base.type(baseId);
    if (t.kind !== 'STRUCT') throw new Error(`config_members: ${name} is not a struct in the reference BTF`);
    this.memo.set(keyOf({ kind: 'struct', name }), -1);
    const members: { name: string; type: number; bitOffset: number; bitfieldSize?: number }[] = [];
    let shift = 0;
    t.members.forEach((m, i) => {
      members.push({
        name: m.name,
        type: m.type,
        bitOffset: m.bitOffset + shift * 8,
        ...(m.bitfieldSize ? { bitfieldSize: m.bitfieldSize } : {}),
      });
      for (const g of grafts.filter((x) => x.after === m.name)) {
        const end = members[members.length - 1]!.bitOffset / 8 + sizeOf(base, m.type);
        const { size, align } = this.sizeAlign(g.type);
        const at = Math.ceil(end / align) * align;
        const next = (t.members[i + 1]?.bitOffset ?? t.size * 8) / 8 + shift;
        const grow = Math.max(0, Math.ceil((at + size - next) / 64) * 64);
        members.push({ name: g.name, type: this.typeId(g.type), bitOffset: at * 8 });
        shift += grow;
      }
    });
    for (const g of grafts)
      if (!t.members.some((m) => m.name === g.after))
        throw new Error(`config_members: struct ${name} has no member ${g.after}`);
    return this.builder.addStruct(name, t.size + shift, members);
  }

  /** Size and alignment of a C type under the x86-64 / LP64 ABI. */
  sizeAlign(t: CType): { size: number; align: number } {
    switch (t.kind) {
      case 'void':
        return { size: 1, align: 1 };
      case 'int':
        return { size: t.size, align: t.size };
      case 'ptr':
        return { size: 8, align: 8 };
      case 'typedef':
        return this.sizeAlign(t.target);
      case 'const':
      case 'volatile':
        return this.sizeAlign(t.of);
      case 'array': {
        const e = this.sizeAlign(t.of);
        return { size: e.size * t.len, align: e.align };
      }
      case 'func':
        return { size: 1, align: 1 };
      case 'enum':
        return { size: 4, align: 4 };
      case 'struct':
      case 'union':
        return this.layoutOf(t.kind, t.name);
    }
  }

  private layoutOf(kind: 'struct' | 'union', name: string): { size: number; align: number } {
    const key = `${kind} ${name}`;
    const hit = this.layouts.get(key);
    if (hit) return hit;
    const decl = this.structs.get(key);
    if (!decl || decl.kind === 'enum' || decl.kind === 'typedef' || decl.kind === 'object' || !decl.fields) {
      const id = this.fromBase(name, kind === 'struct' ? 'STRUCT' : 'UNION');
      if (id !== undefined && this.base) {
        const t = this.base.type(id);
        const size = 'size' in t ? (t.size as number) : 0;
        return { size, align: Math.min(8, size & -size || 1) };
      }
      throw new Error(`${key} is incomplete: its size is unknown`);
    }
    if (this.building.has(key)) throw new Error(`${key} contains itself`);
    this.building.add(key);
    let size = 0;
    let align = 1;
    for (const f of decl.fields) {
      const fa = this.sizeAlign(f.type);
      align = Math.max(align, fa.align);
      if (kind === 'union') size = Math.max(size, fa.size);
      else size = roundUp(size, fa.align) + fa.size;
    }
    this.building.delete(key);
    const l = { size: roundUp(size, align), align };
    this.layouts.set(key, l);
    return l;
  }

  /** Byte offset of each field (bitfields are laid out as whole units: enough for models). */
  fieldOffsets(kind: 'struct' | 'union', name: string): number[] {
    const decl = this.structs.get(`${kind} ${name}`);
    if (!decl || (decl.kind !== 'struct' && decl.kind !== 'union') || !decl.fields) return [];
    let off = 0;
    return decl.fields.map((f) => {
      if (kind === 'union') return 0;
      const fa = this.sizeAlign(f.type);
      off = roundUp(off, fa.align);
      const at = off;
      off += fa.size;
      return at;
    });
  }

  /** FUNC + FUNC_PROTO for a kernel function; returns the FUNC id. */
  addFunc(name: string, type: FuncType, linkage = 1): number {
    const key = `func ${name}`;
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    const proto = this.typeId(type);
    const id = this.builder.addFunc(name, proto, linkage);
    this.memo.set(key, id);
    return id;
  }

  /** Bytes this emitter's builder holds so far (types + strings, no header). */
  bytes(): number {
    return this.builder.typeBytes + this.builder.stringBytes;
  }
}

/** Per-base lookup indexes (built once per parsed vmlinux, shared by every emitter). */
const baseIndexes = new WeakMap<Btf, { ref?: Map<string, number>; proto?: Map<string, number> }>();

const protoKey = (ret: number, params: readonly { name: string; type: number }[]): string =>
  `${ret}(${params.map((p) => `${p.type} ${p.name}`).join(',')})`;

const roundUp = (n: number, a: number): number => Math.ceil(n / a) * a;

function keyOf(t: CType): string {
  switch (t.kind) {
    case 'void':
      return 'void';
    case 'int':
      return `int ${t.name}`;
    case 'typedef':
      return `typedef ${t.name}`;
    case 'ptr':
      return `*${keyOf(t.to)}`;
    case 'const':
    case 'volatile':
      return `${t.kind} ${keyOf(t.of)}`;
    case 'array':
      return `${keyOf(t.of)}[${t.len}]`;
    case 'func':
      return `fn(${t.params.map((p) => `${keyOf(p.type)} ${p.name ?? ''}`).join(',')})->${keyOf(t.ret)}`;
    case 'struct':
    case 'union':
    case 'enum':
      return `${t.kind} ${t.name}`;
  }
}
