// What the JIT needs to know about the kernel's address space. core/kernel/address-space.ts models
// the whole kernel; this is the narrow view the x86 JIT reads, so either can be plugged in.

export interface JitAddressSpace {
  /** __bpf_call_base: a helper/kfunc `call` targets callBase + imm. */
  callBase: bigint;
  /** Kernel symbol at an address (exact start), for naming call targets. */
  symbolAt(addr: bigint): string | undefined;
  /** Where the (first) function image is placed: the BPF program pack area. */
  programArea: bigint;
  /** x86_return_thunk (srso_alias_return_thunk on the corpus machine). */
  returnThunk: bigint;
  /** __x86_indirect_thunk_array[reg]; defaults to a symbol-less address near the return thunk. */
  indirectThunk?: (x86reg: number) => bigint;
  /** &this_cpu_off (a per-CPU offset), used by the inlined per-CPU address instruction. */
  thisCpuOff?: number;
  /** Address of a named kernel symbol (the thunks a kernel configuration picks, __x86_call_depth). */
  lookup?: (name: string) => bigint | undefined;
  /** MODULES_VADDR (default X86_MODULES_VADDR): what jit_subprogs loads for a callback before its address is known. */
  modulesVaddr?: bigint;
}

const X86_REGS = [
  'rax',
  'rcx',
  'rdx',
  'rbx',
  'rsp',
  'rbp',
  'rsi',
  'rdi',
  'r8',
  'r9',
  'r10',
  'r11',
  'r12',
  'r13',
  'r14',
  'r15',
];

export interface SymbolTableSpace {
  callBase: bigint;
  programArea: bigint;
  /** symbol → address; must contain the return thunk's name. */
  symbols: ReadonlyMap<string, bigint>;
  returnThunkName?: string;
  thisCpuOff?: number;
}

/** A JitAddressSpace over a plain symbol table (kallsyms-like). */
export function symbolTableAddressSpace(s: SymbolTableSpace): JitAddressSpace {
  const byAddr = new Map<bigint, string>();
  for (const [name, addr] of s.symbols) if (!byAddr.has(addr)) byAddr.set(addr, name);
  const thunkName = s.returnThunkName ?? 'srso_alias_return_thunk';
  const returnThunk = s.symbols.get(thunkName);
  if (returnThunk === undefined) throw new Error(`address space has no ${thunkName}`);
  return {
    callBase: s.callBase,
    programArea: s.programArea,
    returnThunk,
    thisCpuOff: s.thisCpuOff,
    symbolAt: (a) => byAddr.get(a),
    lookup: (name) => s.symbols.get(name),
    indirectThunk: (reg) =>
      s.symbols.get(`__x86_indirect_thunk_${X86_REGS[reg]}`) ?? returnThunk + 0x100n + 32n * BigInt(reg),
  };
}

/** x86 name of the thunk register suffix (1 → __x86_indirect_thunk_rcx), for naming indirect thunks. */
export const indirectThunkName = (x86reg: number): string => `__x86_indirect_thunk_${X86_REGS[x86reg]}`;

/** Where x86-64 BPF images land: bpf_prog_pack chunks in the module/execmem area. */
export const X86_BPF_PROG_AREA = 0xffffffffc0200000n;

/** MODULES_VADDR with KASLR (a 1 GiB kernel image area): the module/execmem area's start. */
export const X86_MODULES_VADDR = 0xffffffffc0000000n;

/** The part of core/kernel's AddressSpace the JIT reads (structural, so no import cycle). */
export interface KernelAddressSpaceLike {
  callBase: bigint;
  lookup(name: string): { addr: bigint } | undefined;
  symbolAt(addr: bigint): { name: string; offset: number } | undefined;
}

/** Adapts the modeled kernel address space (core/kernel/address-space.ts) for the JIT. */
export function jitAddressSpaceOf(
  k: KernelAddressSpaceLike,
  programArea = X86_BPF_PROG_AREA,
): JitAddressSpace {
  const returnThunk = k.lookup('srso_alias_return_thunk')?.addr ?? k.lookup('__x86_return_thunk')?.addr;
  if (returnThunk === undefined) throw new Error('the address space has no return thunk');
  return {
    callBase: k.callBase,
    programArea,
    returnThunk,
    thisCpuOff: k.lookup('this_cpu_off')
      ? Number(BigInt.asUintN(32, k.lookup('this_cpu_off')!.addr))
      : undefined,
    symbolAt: (a) => {
      const s = k.symbolAt(a);
      if (!s) return undefined;
      return s.offset === 0 ? s.name : `${s.name}+0x${s.offset.toString(16)}`;
    },
    indirectThunk: (reg) =>
      k.lookup(indirectThunkName(reg))?.addr ?? returnThunk + 0x100n + 32n * BigInt(reg),
    lookup: (name) => k.lookup(name)?.addr,
  };
}
