/**
 * core/btf — BTF parser, registry and type layout (pure TypeScript, no I/O).
 *
 * Parsing
 *   parseBtf(bytes, { base?, name? }) → Btf        raw BTF, either byte order; split BTF with `base`
 *   parseBtfOrElf(bytes, opts) → Btf               raw BTF or an ELF object's .BTF section
 *   Bad input throws BtfError { offset, reason } (byte offset in the blob, -1 when none applies).
 *   Node-side loading (files, /sys/kernel/btf/vmlinux, the bundled reference kernel) lives in
 *   main/host/btf-files.ts: loadVmlinuxBtf(), loadReferenceVmlinuxBtf(), loadBtfFile(path, base?).
 *
 * A Btf object (ids are global: a split BTF answers for its base's ids too)
 *   btf.typeCount                 valid ids are 0 (void) … typeCount-1; own ids start at btf.startId
 *   btf.type(id) → BtfType        decoded, discriminated on `kind`: 'INT' | 'PTR' | 'ARRAY' | 'STRUCT' |
 *                                 'UNION' | 'ENUM' | 'FWD' | 'TYPEDEF' | 'VOLATILE' | 'CONST' | 'RESTRICT' |
 *                                 'FUNC' | 'FUNC_PROTO' | 'VAR' | 'DATASEC' | 'FLOAT' | 'DECL_TAG' |
 *                                 'TYPE_TAG' | 'ENUM64' | 'VOID' (id 0)
 *   btf.typeOfKind(id, 'STRUCT', 'UNION')   decode + narrow, BtfError otherwise
 *   btf.kindOf(id) / nameOf(id) / vlenOf / kflagOf / sizeOrTypeOf   cheap raw reads, no allocation
 *   btf.findByName(name, kind?) → id | undefined;  btf.findAllByName(name, kind?) → id[]
 *   btf.str(off)                  string at a string-section offset
 *   Struct members: { name, type, bitOffset, bitfieldSize } (kflag bitfield encoding already decoded).
 *   Enums: ENUM values are numbers (signed when kflag), ENUM64 values bigints.
 *
 * Layout (layout.ts)
 *   resolveType(btf, id)          skip const/volatile/restrict/type_tag and typedefs
 *   skipModifiers(btf, id)        skip const/volatile/restrict/type_tag only
 *   sizeOf(btf, id), alignOf(btf, id)        like libbpf's btf__resolve_size / btf__align_of (x86-64)
 *   membersOf(btf, id)            members of a struct/union (through typedefs)
 *   findMember(btf, structId, 'len') → { offset, bitOffset, bitfieldSize, size, type, path }
 *                                 looks through anonymous struct/union members like C does
 *   funcProtoOf(btf, funcOrPtrId) → FUNC_PROTO (from a FUNC, a func pointer or typedef)
 *   funcParams(btf, id), typeString(btf, id) ("struct sk_buff *")
 *
 * Registry (registry.ts): several objects at once, each with a BTF object id
 *   const reg = new BtfRegistry(vmlinuxBtf);          // vmlinux gets objId 1
 *   reg.addModule('bpf_testmod', moduleBytesOrBtf)    // split on vmlinux, next objId
 *   reg.findByName('tcp_sock', 'STRUCT') → { obj, id }; reg.member('sk_buff', 'len');
 *   reg.funcProto('tcp_reno_ssthresh') → { func, proto }; reg.object(objId)
 *   reg.memberFuncProto('tcp_congestion_ops', 'cong_avoid') → FUNC_PROTO of a function-pointer member
 *
 * Kfuncs (kfuncs.ts, kfunc-sets-linux-6.18.ts)
 *   discoverKfuncs(btf) → { objId, id, name, proto }[]     FUNCs tagged "bpf_kfunc"
 *   KF_ACQUIRE … KF_ARENA_ARG2, kfFlagsString(flags)       include/linux/btf.h values
 *   BtfIdSet8 (sorted id+flags, .contains(id) → flags), BtfIdSet, BtfIdList, resolveBtfIdList(btf, name, entries)
 *   const kreg = new KfuncSetRegistry(reg);                 register_btf_kfunc_id_set per hook
 *   registerLinux618KfuncSets(kreg)                         the reference kernel's sets (tcp_ca, cubic, bbr,
 *                                                           generic, common, skb/xdp/tc, conntrack, cpumask,
 *                                                           arena, crypto, fs, rstat, …): every tagged kfunc;
 *                                                           set filters (fs: lsm, sock_destroy: iter) included
 *   kreg.kfuncIdSetContains(hook, 1, id, { progType, expectedAttachType? })  filters applied (KfuncProg)
 *   linux618KfuncFilters(name) → the filters narrowing kfunc `name`; LINUX_6_18_KFUNC_EXCLUSIONS (empty)
 *   kreg.kfuncIdSetContains('struct_ops' | 'TC' | …, btfObjId, id, prog?) → KF_* flags | undefined
 *       (undefined = "calling kernel function %s is not allowed"; COMMON is checked first, filters hide)
 *   bpfProgTypeToKfuncHook('sched_cls') → 'TC'
 *
 * Function models (func-model.ts)
 *   btfDistillFuncProto(btf, protoId | undefined, name) → { ok: true, model: { retSize, retFlags, nrArgs,
 *       argSize[], argFlags[] } } | { ok: false, errno: 22, log }   (kernel's messages, MAX_BPF_FUNC_ARGS 12,
 *       structs by value ≤ 16 bytes with BTF_FMODEL_STRUCT_ARG, signed ints BTF_FMODEL_SIGNED_ARG)
 *   btfDistillFunc(btf, funcId)
 *
 * Dumps (dump-raw.ts, dump-c.ts): identical to bpftool v7.1 / libbpf 1.1 for the reference vmlinux
 *   dumpBtfRaw(btf), dumpBtfRawChunks(btf) (streaming), dumpBtfTypeRaw(btf, id), dumpBtfC(btf)
 *
 * Writer (writer.ts)
 *   const b = new BtfBuilder({ base: vmlinux });           split BTF for a module (or no base)
 *   b.addStruct('s', 16, [{ name: 'x', type: u32, bitOffset: 0, bitfieldSize? }]), addPtr, addFuncProto,
 *   addFunc(name, proto, linkage), addDeclTag('bpf_kfunc', fn), addEnum/64, addTypedef, … ; b.build()
 *   BtfBuilder.fromBtf(btf).build() reproduces the original bytes
 *   btfBytesAdded(b) = type records + new strings (base strings are reused): the "BTF bytes" cost
 *
 * Example: offset of xdp_buff.data_end; may a struct_ops program call tcp_slow_start?
 *   const btf = await loadReferenceVmlinuxBtf();            // main/host/btf-files.ts
 *   findMember(btf, btf.findByName('xdp_buff', 'STRUCT')!, 'data_end')!.offset  // 8
 *   const kreg = new KfuncSetRegistry(new BtfRegistry(btf)); registerLinux618KfuncSets(kreg);
 *   kreg.kfuncIdSetContains('struct_ops', 1, btf.findByName('tcp_slow_start', 'FUNC')!)  // 0 (allowed, no flags)
 */
export * from './btf';
export * from './dump-c';
export * from './dump-raw';
export * from './elf';
export * from './error';
export * from './func-model';
export * from './kfunc-sets-linux-6.18';
export * from './kfuncs';
export * from './kinds';
export * from './layout';
export * from './load';
export * from './registry';
export * from './writer';
