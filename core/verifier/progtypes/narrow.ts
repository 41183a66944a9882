// The generic half of a ctx rewrite in convert_ctx_accesses: narrow loads are widened
// to the recorded ctx_field_size before the program type's convert_ctx_access runs,
// then shifted and masked back; sign-extending loads get a movsx appended.
import { BPF_ALU32_IMM, BPF_ALU64_IMM, BPF_RAW_INSN } from '../../isa/builders';
import type { Insn } from '../../isa/insn';
import {
  BPF_ALU64,
  BPF_AND,
  BPF_LDX,
  BPF_MEM,
  BPF_MEMSX,
  BPF_MODE,
  BPF_MOV,
  BPF_RSH,
  BPF_SIZE,
  BPF_X,
  sizeBytes,
} from '../../isa/opcodes';
import type { BpfAccessType } from '../ops';
import { sizeCode } from './layout';

/** What a program type's convert_ctx_access returns: the insns and *target_size. */
export interface ConvertResult {
  insns: Insn[];
  /** Size of the kernel field actually loaded; 0 when the hook does not report one. */
  targetSize: number;
}

export type RawConvert = (type: BpfAccessType, si: Insn) => ConvertResult;

export class CtxConvertError extends Error {}

/** bpf_ctx_off_adjust_machine on a 64-bit kernel. */
const adjustMachine = (size: number): number => (size > 8 && size % 8 === 0 ? 8 : size);

/**
 * One ctx access rewritten as convert_ctx_accesses does it, given the program type's
 * convert hook. Throws CtxConvertError with the kernel's wording on misconfiguration.
 */
export function convertWithNarrowing(
  type: BpfAccessType,
  orig: Insn,
  ctxFieldSize: number,
  convert: RawConvert,
): Insn[] {
  const size = sizeBytes(BPF_SIZE(orig.code));
  const mode = BPF_MODE(orig.code);
  const isNarrowerLoad = size < ctxFieldSize;
  const sizeDefault = adjustMachine(ctxFieldSize);
  const off = orig.off;
  let insn = orig;
  if (isNarrowerLoad) {
    if (type === 'write') throw new CtxConvertError('bpf verifier narrow ctx access misconfigured');
    insn = { ...orig, off: off & ~(sizeDefault - 1), code: BPF_LDX | BPF_MEM | sizeCode(ctxFieldSize) };
  }
  const { insns, targetSize } = convert(type, insn);
  if (insns.length === 0 || insns.length >= 16 || (ctxFieldSize && !targetSize))
    throw new CtxConvertError('bpf verifier is misconfigured');
  const out = [...insns];
  if (isNarrowerLoad && size < targetSize) {
    // Little-endian: the wanted bytes sit `off % size_default` bytes into the field.
    const shift = (off & (sizeDefault - 1)) * 8;
    if (ctxFieldSize <= 4) {
      if (shift) out.push(BPF_ALU32_IMM(BPF_RSH, insn.dst, shift));
      out.push(BPF_ALU32_IMM(BPF_AND, insn.dst, size === 4 ? -1 : (1 << (size * 8)) - 1));
    } else {
      if (shift) out.push(BPF_ALU64_IMM(BPF_RSH, insn.dst, shift));
      out.push(BPF_ALU64_IMM(BPF_AND, insn.dst, size === 4 ? -1 : (1 << (size * 8)) - 1));
    }
  }
  if (mode === BPF_MEMSX)
    out.push(BPF_RAW_INSN(BPF_ALU64 | BPF_MOV | BPF_X, insn.dst, insn.dst, size * 8, 0));
  return out;
}
