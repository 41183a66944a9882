// Typed errors of the ISA layer. `reason` holds the kernel's own wording where the
// kernel has one (kernel/bpf/verifier.c), so callers can compare it with a verifier log.

export type IsaErrorKind =
  | 'truncated' // byte length not a multiple of 8
  | 'unknown-opcode'
  | 'reserved-field'
  | 'bad-register'
  | 'ld-imm64' // half an ld_imm64, bad second slot, unknown pseudo src
  | 'jump-range'
  | 'invalid-value'; // shift/div/size values the kernel refuses

export class IsaError extends Error {
  constructor(
    readonly index: number,
    readonly reason: string,
    readonly kind: IsaErrorKind,
  ) {
    super(`insn ${index}: ${reason}`);
    this.name = 'IsaError';
  }
}
