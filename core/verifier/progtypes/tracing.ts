// Context access of the perf-event tracing types (kernel/trace/bpf_trace.c): kprobe's ctx is
// struct pt_regs, a tracepoint's the raw trace record, raw_tracepoint's the u64 argument
// array. All three are read-only and left unconverted (no convert_ctx_access).
import type { BpfAccessType, CtxAccessInfo } from '../ops';
import type { KernelLayout } from './layout';

const SCALAR: CtxAccessInfo = { regType: 'SCALAR_VALUE' };

/** PERF_MAX_TRACE_SIZE: the largest trace record a tracepoint program reads. */
export const PERF_MAX_TRACE_SIZE = 8192;
/** MAX_BPF_FUNC_ARGS: a raw tracepoint's argument array holds this many u64. */
export const MAX_BPF_FUNC_ARGS = 12;

/** kprobe_prog_is_valid_access: aligned reads inside struct pt_regs. */
export function kprobeIsValidAccess(
  layout: KernelLayout,
  off: number,
  size: number,
  type: BpfAccessType,
): CtxAccessInfo | undefined {
  const regsSize = layout.structSize('pt_regs');
  if (off < 0 || off >= regsSize || type !== 'read' || off % size !== 0) return undefined;
  if (off + size > regsSize) return undefined;
  return SCALAR;
}

/**
 * tp_prog_is_valid_access: reads past the common header (its first 8 bytes) up to
 * PERF_MAX_TRACE_SIZE. The kernel compares the lower bound with sizeof(void *), unsigned,
 * so a negative offset passes it.
 */
export function tracepointIsValidAccess(
  off: number,
  size: number,
  type: BpfAccessType,
): CtxAccessInfo | undefined {
  if ((off >= 0 && off < 8) || off >= PERF_MAX_TRACE_SIZE) return undefined;
  if (type !== 'read' || off % size !== 0) return undefined;
  return SCALAR;
}

/** raw_tp_prog_is_valid_access (bpf_tracing_ctx_access): aligned reads of the u64 arguments. */
export function rawTracepointIsValidAccess(
  off: number,
  size: number,
  type: BpfAccessType,
): CtxAccessInfo | undefined {
  if (off < 0 || off >= 8 * MAX_BPF_FUNC_ARGS || type !== 'read' || off % size !== 0) return undefined;
  return SCALAR;
}

/** U16_MAX: a syscall program's ctx (the user's ctx_in) is at most this long. */
const U16_MAX = 0xffff;

/** syscall_prog_is_valid_access: the ctx is the user's buffer, read and written at aligned offsets. */
export function syscallIsValidAccess(off: number, size: number): CtxAccessInfo | undefined {
  if (off < 0 || off >= U16_MAX || off % size !== 0) return undefined;
  return SCALAR;
}
