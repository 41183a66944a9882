// Several BTF objects at once, as the kernel holds them: vmlinux plus module
// BTFs split on top of it, each with a BTF object id (vmlinux is id 1 on a
// running kernel; modules follow).
import { type Btf, type BtfType, parseBtf } from './btf';
import { BtfError } from './error';
import type { BtfKindName } from './kinds';
import { findMember, funcProtoOf, type MemberLocation, resolveType, sizeOf } from './layout';

export interface BtfObject {
  /** BTF object id (what a kfunc call's insn->off selects through the fd array). */
  objId: number;
  /** "vmlinux" or the module name. */
  name: string;
  btf: Btf;
  /** True for vmlinux. */
  isKernel: boolean;
}

/** A type in a specific object. */
export interface BtfTypeRef {
  obj: BtfObject;
  id: number;
}

export class BtfRegistry {
  private readonly byId = new Map<number, BtfObject>();
  private vmlinuxObj: BtfObject | undefined;
  private nextObjId = 1;

  constructor(vmlinux?: Btf) {
    if (vmlinux) this.addVmlinux(vmlinux);
  }

  addVmlinux(btf: Btf, objId = 1): BtfObject {
    if (btf.base) throw new BtfError(-1, 'vmlinux BTF cannot be split BTF');
    if (this.vmlinuxObj) throw new BtfError(-1, 'vmlinux BTF is already registered');
    this.vmlinuxObj = this.register({ objId, name: 'vmlinux', btf, isKernel: true });
    return this.vmlinuxObj;
  }

  /** Registers a module's split BTF (parsed with base = vmlinux) or raw split bytes. */
  addModule(name: string, btf: Btf | Uint8Array, objId?: number): BtfObject {
    const vm = this.vmlinux.btf;
    const parsed = btf instanceof Uint8Array ? parseBtf(btf, { base: vm, name }) : btf;
    if (parsed.base !== vm)
      throw new BtfError(-1, `module ${name}: BTF is not split on the registered vmlinux`);
    return this.register({ objId: objId ?? this.nextObjId, name, btf: parsed, isKernel: false });
  }

  private register(obj: BtfObject): BtfObject {
    if (this.byId.has(obj.objId)) throw new BtfError(-1, `BTF object id ${obj.objId} is already used`);
    this.byId.set(obj.objId, obj);
    this.nextObjId = Math.max(this.nextObjId, obj.objId + 1);
    return obj;
  }

  get vmlinux(): BtfObject {
    if (!this.vmlinuxObj) throw new BtfError(-1, 'no vmlinux BTF registered');
    return this.vmlinuxObj;
  }

  object(objId: number): BtfObject | undefined {
    return this.byId.get(objId);
  }

  objectByName(name: string): BtfObject | undefined {
    for (const o of this.byId.values()) if (o.name === name) return o;
    return undefined;
  }

  objects(): BtfObject[] {
    return [...this.byId.values()];
  }

  /** Every type named `name` in every object (vmlinux first; a module reports only its own ids). */
  findAllByName(name: string, kind?: BtfKindName): BtfTypeRef[] {
    const out: BtfTypeRef[] = [];
    for (const obj of this.byId.values()) {
      for (const id of obj.btf.findAllByName(name, kind)) {
        if (id >= obj.btf.startId) out.push({ obj, id });
      }
    }
    return out;
  }

  /** First type named `name` (vmlinux before modules). */
  findByName(name: string, kind?: BtfKindName): BtfTypeRef | undefined {
    return this.findAllByName(name, kind)[0];
  }

  type(ref: BtfTypeRef): BtfType {
    return ref.obj.btf.type(ref.id);
  }

  /** Struct/union by name with modifiers/typedefs resolved. */
  struct(name: string): BtfTypeRef | undefined {
    return this.findByName(name, 'STRUCT') ?? this.findByName(name, 'UNION');
  }

  member(structName: string, member: string): MemberLocation | undefined {
    const s = this.struct(structName);
    return s ? findMember(s.obj.btf, s.id, member) : undefined;
  }

  sizeOf(ref: BtfTypeRef): number {
    return sizeOf(ref.obj.btf, ref.id);
  }

  resolve(ref: BtfTypeRef): BtfTypeRef {
    return { obj: ref.obj, id: resolveType(ref.obj.btf, ref.id) };
  }

  /** A function-pointer member's prototype, e.g. memberFuncProto('tcp_congestion_ops', 'ssthresh'). */
  memberFuncProto(structName: string, member: string): ReturnType<typeof funcProtoOf> | undefined {
    const s = this.struct(structName);
    const m = s ? findMember(s.obj.btf, s.id, member) : undefined;
    return m ? funcProtoOf(s!.obj.btf, m.type) : undefined;
  }

  /** FUNC by name → its proto. */
  funcProto(name: string): { func: BtfTypeRef; proto: ReturnType<typeof funcProtoOf> } | undefined {
    const f = this.findByName(name, 'FUNC');
    return f ? { func: f, proto: funcProtoOf(f.obj.btf, f.id) } : undefined;
  }
}
