// How an x86-64 kernel was built and which CPU mitigations it runs with: the axes that change the
// BPF JIT's code (arch/x86/net/bpf_jit_comp.c: emit_return, emit_indirect_jump, emit_cfi,
// EMIT_ENDBR, x86_call_depth_emit_accounting). The reference is the corpus kernel.

/** What x86_return_thunk points at when cpu_wants_rethunk(); 'none' = a plain `ret`. */
export const RETURN_THUNKS = [
  'none',
  'x86_return_thunk',
  'srso_alias_return_thunk',
  'srso_return_thunk',
  'call_depth_return_thunk',
  'its_return_thunk',
] as const;
export type ReturnThunk = (typeof RETURN_THUNKS)[number];

/**
 * Indirect jumps (tail calls): 'off' = `jmp *reg` (+ int3), 'on' = X86_FEATURE_RETPOLINE (jmp to
 * __x86_indirect_thunk_<reg>), 'lfence' = X86_FEATURE_RETPOLINE_LFENCE, 'its' =
 * X86_FEATURE_INDIRECT_THUNK_ITS (jmp to __x86_indirect_its_thunk_<reg>).
 */
export const RETPOLINE_MODES = ['off', 'on', 'lfence', 'its'] as const;
export type RetpolineMode = (typeof RETPOLINE_MODES)[number];

export interface X86Config {
  returnThunk: ReturnThunk;
  retpoline: RetpolineMode;
  /** CONFIG_X86_KERNEL_IBT: endbr64 at the image start and at the tail-call entry. */
  ibt: boolean;
  /** cfi_mode == CFI_KCFI: `mov eax, hash` (+ padding) before the entry point. */
  kcfi: boolean;
  /** CONFIG_CALL_PADDING: 11 NOPs after the kCFI hash (the entry sits 16 bytes in, not 5). */
  callPadding: boolean;
  /** X86_FEATURE_CALL_DEPTH (retbleed=stuff): depth accounting before every call. */
  callDepthTracking: boolean;
  /** CONFIG_MITIGATION_SLS: int3 after `ret`. */
  sls: boolean;
  /** X86_FEATURE_BMI2: shlx/shrx/sarx for register shifts. */
  bmi2: boolean;
  /** cfi_bpf_hash / cfi_bpf_subprog_hash (build- and boot-specific: rehashed unless cfi=norand). */
  kcfiHash: number;
  kcfiSubprogHash: number;
}

/** The corpus kernel (6.18.44, AMD EPYC): SRSO safe RET through the alias thunk, retpolines, no IBT/kCFI. */
export const REFERENCE_X86_CONFIG: Readonly<X86Config> = {
  returnThunk: 'srso_alias_return_thunk',
  retpoline: 'on',
  ibt: false,
  kcfi: false,
  callPadding: true,
  callDepthTracking: false,
  sls: false,
  bmi2: true,
  kcfiHash: 0,
  kcfiSubprogHash: 0,
};

/** Kernel symbol the JIT's return jumps to (undefined: `ret`). */
export function returnThunkSymbol(t: ReturnThunk): string | undefined {
  if (t === 'none') return undefined;
  return t === 'x86_return_thunk' ? '__x86_return_thunk' : t;
}

const BOOL: Record<string, boolean> = {
  on: true,
  true: true,
  yes: true,
  '1': true,
  off: false,
  false: false,
  no: false,
  '0': false,
};

type Key = keyof X86Config;
// `--config` spells keys the kernel's way (snake case).
const KEYS: Record<string, Key> = {
  return_thunk: 'returnThunk',
  retpoline: 'retpoline',
  ibt: 'ibt',
  kcfi: 'kcfi',
  call_padding: 'callPadding',
  call_depth_tracking: 'callDepthTracking',
  sls: 'sls',
  bmi2: 'bmi2',
  kcfi_hash: 'kcfiHash',
  kcfi_subprog_hash: 'kcfiSubprogHash',
};
export const X86_CONFIG_KEYS: readonly string[] = Object.keys(KEYS);

/** Applies `key=value,…` to `base`; throws an Error naming the bad key or value. */
export function parseX86Config(spec: string, base: Readonly<X86Config> = REFERENCE_X86_CONFIG): X86Config {
  const out: X86Config = { ...base };
  for (const part of spec.split(',')) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    if (eq < 0) throw new Error(`'${part}' is not key=value`);
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    const key = KEYS[name];
    if (!key) throw new Error(`unknown key '${name}' (${X86_CONFIG_KEYS.join(', ')})`);
    if (key === 'returnThunk') {
      if (!(RETURN_THUNKS as readonly string[]).includes(value))
        throw new Error(`return_thunk must be one of ${RETURN_THUNKS.join('|')}, got '${value}'`);
      out.returnThunk = value as ReturnThunk;
    } else if (key === 'retpoline') {
      const mode = value in BOOL ? (BOOL[value] ? 'on' : 'off') : value;
      if (!(RETPOLINE_MODES as readonly string[]).includes(mode))
        throw new Error(`retpoline must be one of ${RETPOLINE_MODES.join('|')}, got '${value}'`);
      out.retpoline = mode as RetpolineMode;
    } else if (key === 'kcfiHash' || key === 'kcfiSubprogHash') {
      const n = Number(value);
      if (!/^(0x[0-9a-f]{1,8}|\d+)$/i.test(value) || n > 0xffffffff)
        throw new Error(`${name} must be a 32-bit number, got '${value}'`);
      out[key] = n >>> 0;
    } else {
      if (!(value in BOOL)) throw new Error(`${name} must be on or off, got '${value}'`);
      out[key] = BOOL[value]!;
    }
  }
  return out;
}
