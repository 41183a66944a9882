// Per-architecture facts for far-call analysis: where kernel text, modules and BPF images live
// (a representative non-randomized layout), whether the JIT supports far kfunc calls, and how its
// `call` reaches a target. Sources: arch/*/net/bpf_jit*.c and the arch memory layouts;
// pipeline.md §5.4.

import type { ArchName } from '../../kernel/profiles';

export type Range = readonly [lo: bigint, hi: bigint];

/**
 * How the JIT's call reaches its target: pc-relative within `reach` of the call site, failing
 * (x86-64 rel32, riscv64 auipc+jalr: -ERANGE) or falling back to an absolute form (arm64 bl → blr)
 * beyond it; or always absolute (s390, LoongArch, powerpc64).
 */
export type JitCallForm =
  | { kind: 'pc-relative'; insn: string; reach: bigint; onFar: 'error'; error: string }
  | { kind: 'pc-relative'; insn: string; reach: bigint; onFar: 'absolute'; farInsn: string }
  | { kind: 'absolute'; insn: string };

export interface ArchCallModel {
  arch: ArchName;
  /** bpf_jit_supports_far_kfunc_call(). */
  farKfuncCall: boolean;
  /** A modeled __bpf_call_base (early in kernel text). */
  callBase: bigint;
  kernelText: Range;
  modules: Range;
  /** Where BPF JIT images are allocated. */
  bpfImages: Range;
  call: JitCallForm;
  notes: string[];
}

const GiB = 1n << 30n;
const MiB = 1n << 20n;

export const CALL_MODELS: Readonly<Record<ArchName, ArchCallModel>> = {
  x86_64: {
    arch: 'x86_64',
    farKfuncCall: false,
    callBase: 0xffffffff813a5e40n,
    kernelText: [0xffffffff80000000n, 0xffffffffc0000000n],
    modules: [0xffffffffa0000000n, 0xffffffffff000000n],
    bpfImages: [0xffffffffa0000000n, 0xffffffffff000000n],
    call: {
      kind: 'pc-relative',
      insn: 'call rel32 (e8)',
      reach: 2n * GiB,
      onFar: 'error',
      error: 'Target call %p is out of range',
    },
    notes: [
      'Kernel text (≤1 GiB KASLR range) and the module area (0xffffffffa0000000–0xfffffffffeffffff) sit in the top 2 GiB, so every s32 imm from __bpf_call_base and every rel32 from a BPF image (allocated in the module area) reaches them.',
      'bpf_jit_supports_far_kfunc_call() is not overridden (weak false): kfunc imm = BPF_CALL_IMM(addr).',
    ],
  },
  arm64: {
    arch: 'arm64',
    farKfuncCall: false,
    callBase: 0xffff8000803a5e40n,
    kernelText: [0xffff800080000000n, 0xffff800080000000n + 64n * MiB],
    // Modules are placed so that the whole kernel image stays within 2 GiB of them (PREL32 relocations).
    modules: [0xffff800080000000n + 64n * MiB - 2n * GiB, 0xffff800080000000n],
    bpfImages: [0xffff800080000000n + 4n * GiB, 0xfffffdffbfff0000n],
    call: {
      kind: 'pc-relative',
      insn: 'bl (±128 MiB)',
      reach: 128n * MiB,
      onFar: 'absolute',
      farInsn: 'movn/movk/movk + blr',
    },
    notes: [
      'emit_call(): a direct `bl` when the final image is within ±128 MiB of the target, otherwise the 48-bit address via movn/movk/movk and `blr` — any address is reachable.',
      'No far kfunc support: kfunc imm = BPF_CALL_IMM(addr); modules lie within 2 GiB of the kernel image.',
    ],
  },
  riscv64: {
    arch: 'riscv64',
    farKfuncCall: false,
    callBase: 0xffffffff803a5e40n,
    kernelText: [0xffffffff80000000n, 0xffffffff80000000n + 64n * MiB],
    // MODULES_VADDR = PFN_ALIGN(_end) - 2 GiB, MODULES_END = PFN_ALIGN(_start)
    modules: [0xffffffff80000000n + 64n * MiB - 2n * GiB, 0xffffffff80000000n],
    // BPF_JIT_REGION_START = PFN_ALIGN(_end), 128 MiB
    bpfImages: [0xffffffff80000000n + 64n * MiB, 0xffffffff80000000n + 192n * MiB],
    call: {
      kind: 'pc-relative',
      insn: 'auipc + jalr (±2 GiB)',
      reach: 2n * GiB - 2048n,
      onFar: 'error',
      error: 'bpf-jit: target offset 0x%llx is out of range',
    },
    notes: [
      'emit_jump_and_link(): jal within ±1 MiB for fixed addresses, else auipc+jalr over [-2^31-2^11, 2^31-2^11) from the call site, else -ERANGE.',
      'No far kfunc support.',
    ],
  },
  s390: {
    arch: 's390',
    farKfuncCall: true,
    callBase: 0x00000000003a5e40n,
    kernelText: [0x0000000000100000n, 0x0000000000100000n + 64n * MiB],
    modules: [0x000003ff80000000n - 2n * GiB, 0x000003ff80000000n],
    bpfImages: [0x000003ff80000000n - 2n * GiB, 0x000003ff80000000n],
    call: { kind: 'absolute', insn: 'lgrl %r1, <literal> + basr' },
    notes: [
      'Layout of the 2023 far-kfunc commit ("modules are roughly 1 << 42 bytes away from the kernel"); newer s390 kernels relocate the image (UNCONFIRMED for 6.18).',
      'bpf_jit_supports_far_kfunc_call() = true: kfunc imm stays the BTF id; calls load the 64-bit address from the literal pool.',
    ],
  },
  loongarch64: {
    arch: 'loongarch64',
    farKfuncCall: true,
    callBase: 0x90000000003a5e40n,
    kernelText: [0x9000000000200000n, 0x9000000000200000n + 64n * MiB],
    modules: [0xffff800002000000n, 0xffff800002000000n + 256n * MiB],
    bpfImages: [0xffff800002000000n, 0xffff800002000000n + 256n * MiB],
    call: { kind: 'absolute', insn: 'move_addr t1 (lu12i/ori/lu32i/lu52i) + jirl' },
    notes: [
      'The kernel runs in a direct-mapped window (0x9000…), modules and BPF images in vmalloc space: far apart.',
      'bpf_jit_supports_far_kfunc_call() = true.',
    ],
  },
  powerpc64: {
    arch: 'powerpc64',
    farKfuncCall: true,
    callBase: 0xc0000000003a5e40n,
    kernelText: [0xc000000000000000n, 0xc000000000000000n + 64n * MiB],
    modules: [0xc008000000000000n, 0xc008000000000000n + 2n * GiB],
    bpfImages: [0xc008000000000000n, 0xc008000000000000n + 2n * GiB],
    call: {
      kind: 'absolute',
      insn: 'TOC-relative addis/addi r12 (core kernel) or PPC_LI64 r12, then mtctr + bctrl',
    },
    notes: [
      'Kernel text is reached relative to the kernel TOC; anything else (modules, BPF) by loading the full address.',
      'bpf_jit_supports_far_kfunc_call() = IS_ENABLED(CONFIG_PPC64).',
    ],
  },
};
