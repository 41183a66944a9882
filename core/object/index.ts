/**
 * core/object — BPF ELF objects (clang `*.bpf.o`) as libbpf prepares them for
 * BPF_PROG_LOAD (pure TypeScript, no I/O).
 *
 *   loadBpfObject(bytes, { target: vmlinuxBtf, kconfig? }) → BpfObject
 *     littleEndian, license, kernVersion, btf (object .BTF), btfExt (.BTF.ext)
 *     programs   every function: entry programs and .text subprograms (isSubprog), with
 *                section, progType / expectedAttachType / sleepable (libbpf's SEC() table),
 *                attach (struct_ops: struct, member, vmlinux btfId, memberIndex), own insns after CO-RE
 *     maps       .maps (BTF-defined, inner map, `values` init), .data/.rodata/.bss, .kconfig,
 *                struct_ops maps (.struct_ops / .struct_ops.link: member → program, kernel value bytes)
 *     externs    kfunc / ksym (vmlinux BTF id, or unresolved __weak) / kconfig (offset, value)
 *     loaded     each entry program as BPF_PROG_LOAD gets it: insns with subprograms appended,
 *                map references as BPF_PSEUDO_MAP_IDX / _IDX_VALUE + first-reference index into
 *                `maps`, kfunc calls with vmlinux BTF ids; funcInfo / lineInfo in loaded-insn units
 *   Malformed or unsupported objects throw ObjectError: one line naming section, symbol, map,
 *   program or relocation and why (legacy `maps` sections are refused, as libbpf v1 does).
 *
 *   describeObject(obj) / formatObjectSummary(summary, file)   `kmodel object show`
 *   disasmLoadedProgram(prog, target, source?)                 verifier-log text, maps and kfuncs by name
 *   modelSkeleton / modelWithObjectPrograms                    `kmodel model from-object`
 *   findSecDef(sectionName)                                    libbpf's section table
 *
 * Example:
 *   const obj = loadBpfObject(bytes, { target: loadReferenceVmlinuxBtfSync() });
 *   const p = obj.loaded.find((x) => x.name === 'aimd_cong_avoid')!;
 *   p.insns, p.attach, p.maps → bpfCheck's LoadAttr (cli/object-load.ts objectProgramArg does this)
 */
export * from './describe';
export * from './error';
export * from './model-skeleton';
export * from './object';
export * from './section-defs';
export * from './types';
