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
 *
 * Example: offset of xdp_buff.data_end
 *   const btf = await loadReferenceVmlinuxBtf();
 *   findMember(btf, btf.findByName('xdp_buff', 'STRUCT')!, 'data_end')!.offset  // 8
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
