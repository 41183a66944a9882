// The verifier log: print_verifier_state / print_reg_state formats of kernel/bpf/log.c and the
// bpf_verifier_log buffer with its reset-on-pop behaviour.
import { BPF_ADD_CONST, type RegState, S32_MAX, S32_MIN, S64_MAX, S64_MIN } from './reg';
import { type FuncState, SLOT_CHARS, STACK_INVALID, STACK_SPILL } from './state';
import { U32, U64 } from './tnum';

/** Names a map (kload_mN) and its sizes, and a BTF type, for register printing. */
export interface PrintCtx {
  mapInfo(index: number): { name: string; keySize: number; valueSize: number } | undefined;
  btfName(id: number): string;
}

// Numbers that fit in 16 bits print in decimal, others in hex (kernel/bpf/log.c).
const isSnumDecimal = (n: bigint): boolean => n >= -32768n && n <= 32767n;
const hex = (n: bigint): string => `0x${BigInt.asUintN(64, n).toString(16)}`;
export const snum = (n: bigint): string =>
  isSnumDecimal(BigInt.asIntN(64, n)) ? `${BigInt.asIntN(64, n)}` : hex(n);
export const unum = (n: bigint): string =>
  BigInt.asUintN(64, n) <= 65535n ? `${BigInt.asUintN(64, n)}` : hex(n);

export function regTypeStr(r: RegState, p: PrintCtx): string {
  let base: string;
  switch (r.type) {
    case 'SCALAR_VALUE':
      base = 'scalar';
      break;
    case 'PTR_TO_CTX':
      base = 'ctx';
      break;
    case 'CONST_PTR_TO_MAP':
      base = 'map_ptr';
      break;
    case 'PTR_TO_MAP_VALUE':
      base = 'map_value';
      break;
    case 'PTR_TO_MAP_KEY':
      base = 'map_key';
      break;
    case 'PTR_TO_STACK':
      base = 'fp';
      break;
    case 'PTR_TO_PACKET':
      base = 'pkt';
      break;
    case 'PTR_TO_PACKET_META':
      base = 'pkt_meta';
      break;
    case 'PTR_TO_PACKET_END':
      base = 'pkt_end';
      break;
    case 'PTR_TO_BTF_ID':
      base = 'ptr_';
      break;
    case 'PTR_TO_MEM':
      base = 'mem';
      break;
    case 'PTR_TO_FUNC':
      base = 'func';
      break;
    case 'PTR_TO_SOCKET':
      base = 'sock';
      break;
    case 'PTR_TO_SOCK_COMMON':
      base = 'sock_common';
      break;
    default:
      base = '?';
  }
  let prefix = '';
  if (r.flags.includes('rdonly')) prefix += 'rdonly_';
  if (r.flags.includes('untrusted')) prefix += 'untrusted_';
  if (r.flags.includes('trusted')) prefix += 'trusted_';
  if (r.flags.includes('rcu')) prefix += 'rcu_';
  let s = prefix + base + (r.maybeNull ? '_or_null' : '');
  if (r.type === 'PTR_TO_BTF_ID') s = prefix + base + p.btfName(r.btfId) + (r.maybeNull ? '_or_null' : '');
  void s;
  if (r.type === 'PTR_TO_BTF_ID') return `${prefix}ptr_${r.maybeNull ? 'or_null_' : ''}${p.btfName(r.btfId)}`;
  return prefix + base + (r.maybeNull ? '_or_null' : '');
}

/** A 32-bit signed bound as print_scalar_ranges keeps it: sign-extended when decimal, else as u32. */
const s32Shown = (v: bigint): bigint => (isSnumDecimal(v) ? v : BigInt.asUintN(32, v));

// The eight bounds in print order; the signed ones are those whose name starts with 's'.
const RANGE_NAMES = ['smin', 'smax', 'umin', 'umax', 'smin32', 'smax32', 'umin32', 'umax32'];
const isSignedRange = (i: number): boolean => (i & 2) === 0;

// Printed for every scratched scalar at level 1 and above: plain locals and a bit set of the
// bounds already printed rather than an object per bound.
function scalarRanges(r: RegState, parts: string[]): void {
  const vals = [r.smin, r.smax, r.umin, r.umax, s32Shown(r.s32min), s32Shown(r.s32max), r.u32min, r.u32max];
  let omit =
    (r.smin === S64_MIN ? 1 : 0) |
    (r.smax === S64_MAX ? 2 : 0) |
    (r.umin === 0n ? 4 : 0) |
    (r.umax === U64 ? 8 : 0) |
    (r.s32min === S32_MIN ? 16 : 0) |
    (r.s32max === S32_MAX ? 32 : 0) |
    (r.u32min === 0n ? 64 : 0) |
    (r.u32max === U32 ? 128 : 0);
  for (let i = 0; i < 8; i++) {
    if (omit & (1 << i)) continue;
    const v = vals[i]!;
    const signed = isSignedRange(i);
    const neg1 = signed && v < 0n;
    const bits1 = BigInt.asUintN(64, v);
    let s = `${RANGE_NAMES[i]}=`;
    for (let j = i + 2; j < 8; j += 2) {
      if (omit & (1 << j)) continue;
      const v2 = vals[j]!;
      const neg2 = isSignedRange(j) && v2 < 0n;
      if (neg1 === neg2 && bits1 === BigInt.asUintN(64, v2)) {
        s += `${RANGE_NAMES[j]}=`;
        omit |= 1 << j;
      }
    }
    s += signed ? snum(v) : unum(v);
    parts.push(s);
  }
}

export function printRegState(r: RegState, frameno: number, p: PrintCtx): string {
  let out = '';
  if (r.type === 'SCALAR_VALUE' && r.precise) out += 'P';
  if (r.type === 'SCALAR_VALUE' && r.varOff.mask === 0n) return out + snum(r.varOff.value);
  out += regTypeStr(r, p);
  if (r.type === 'PTR_TO_STACK') {
    if (frameno !== r.frameno) out += `[${r.frameno}]`;
    if (r.varOff.mask === 0n) return out + snum(r.varOff.value + BigInt(r.off));
  }
  const parts: string[] = [];
  if (r.id) parts.push(`id=${r.id & ~BPF_ADD_CONST}`);
  let idSuffix = '';
  if (r.id & BPF_ADD_CONST) idSuffix = r.off < 0 ? `${r.off}` : `+${r.off}`;
  if (r.refObjId) parts.push(`ref_obj_id=${r.refObjId}`);
  if (r.type === 'CONST_PTR_TO_MAP' || r.type === 'PTR_TO_MAP_VALUE' || r.type === 'PTR_TO_MAP_KEY') {
    const mi = p.mapInfo(r.mapIndex);
    if (mi) {
      parts.push(`map=${mi.name}`);
      parts.push(`ks=${mi.keySize},vs=${mi.valueSize}`);
    }
  }
  if (r.type !== 'SCALAR_VALUE' && r.off) parts.push(`off=${snum(BigInt(r.off))}`);
  if (r.type === 'PTR_TO_PACKET' || r.type === 'PTR_TO_PACKET_META') parts.push(`r=${unum(BigInt(r.range))}`);
  if (r.type === 'PTR_TO_MEM') parts.push(`sz=${unum(BigInt(r.memSize))}`);
  if (r.varOff.mask === 0n) {
    if (r.varOff.value) parts.push(`imm=${snum(r.varOff.value)}`);
  } else {
    scalarRanges(r, parts);
    if (r.varOff.mask !== U64) parts.push(`var_off=(${hex(r.varOff.value)}; ${hex(r.varOff.mask)})`);
  }
  // The id's +off suffix follows "id=N" directly.
  if (idSuffix && parts.length) parts[0] += idSuffix;
  return `${out}(${parts.join(',')})`;
}

/**
 * Scratched registers or stack slots (the kernel's scratched_regs / scratched_stack_slots bit
 * masks): 0-63 in two 32-bit words, anything else in a Set. Cleared after every printed insn,
 * which for a Set allocated a fresh table each time.
 */
export class ScratchSet {
  private lo = 0;
  private hi = 0;
  private more: Set<number> | null = null;
  add(i: number): this {
    if (i >= 0 && i < 32) this.lo |= 1 << i;
    else if (i >= 32 && i < 64) this.hi |= 1 << (i - 32);
    else {
      this.more ??= new Set();
      this.more.add(i);
    }
    return this;
  }
  has(i: number): boolean {
    if (i >= 0 && i < 32) return ((this.lo >>> i) & 1) === 1;
    if (i >= 32 && i < 64) return ((this.hi >>> (i - 32)) & 1) === 1;
    return this.more?.has(i) ?? false;
  }
  get size(): number {
    return popcount32(this.lo) + popcount32(this.hi) + (this.more?.size ?? 0);
  }
  clear(): void {
    this.lo = 0;
    this.hi = 0;
    this.more = null;
  }
  *[Symbol.iterator](): IterableIterator<number> {
    if (this.more) for (const i of [...this.more].filter((x) => x < 0).sort((a, b) => a - b)) yield i;
    for (let i = 0; i < 64; i++) if (this.has(i)) yield i;
    if (this.more) for (const i of [...this.more].filter((x) => x >= 64).sort((a, b) => a - b)) yield i;
  }
}

function popcount32(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (((v + (v >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

export interface Scratch {
  regs: ScratchSet;
  slots: ScratchSet;
  all: boolean;
}

export function printFuncState(
  f: FuncState,
  printAll: boolean,
  scratch: Scratch,
  p: PrintCtx,
  refs: { id: number }[],
): string {
  let out = '';
  if (f.frameno) out += ` frame${f.frameno}:`;
  for (let i = 0; i < 11; i++) {
    const r = f.regs[i]!;
    if (r.type === 'NOT_INIT') continue;
    if (!printAll && !scratch.all && !scratch.regs.has(i)) continue;
    out += ` R${i}=${printRegState(r, f.frameno, p)}`;
  }
  for (let i = 0; i < f.stack.length; i++) {
    if (!printAll && !scratch.all && !scratch.slots.has(i)) continue;
    const st = f.stack[i]!;
    if (st.slotType.every((t) => t === STACK_INVALID)) continue;
    let types = '';
    if (st.slotType[7] === STACK_SPILL) {
      for (let j = 0; j < 8; j++) {
        if (st.slotType[j] === STACK_SPILL) break;
        types += SLOT_CHARS[st.slotType[j]!];
      }
      out += ` fp${(-i - 1) * 8}=${types}${printRegState(st.spilled, f.frameno, p)}`;
    } else {
      for (let j = 0; j < 8; j++) types += SLOT_CHARS[st.slotType[j]!];
      out += ` fp${(-i - 1) * 8}=${types}`;
    }
  }
  if (refs.length && refs[0]!.id) out += ` refs=${refs.map((r) => r.id).join(',')}`;
  if (f.inCallbackFn) out += ' cb';
  return `${out}\n`;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();
// Writes wait as strings until this many characters are joined and encoded at once: a push a
// write is the cheapest append, and the bytes of the buffer are no garbage for the collector.
const CHUNK = 1 << 14;

/**
 * The log buffer (bpf_verifier_log) at its default, rotating mode: appended to, cut back to a
 * saved position when a branch is abandoned, and keeping only the last `keep - 1` bytes (the
 * kernel's log_size less the NUL). Bytes in one buffer rather than a string a write: a long
 * walk writes hundreds of MB, and strings that outlive a few scavenges fill the old space.
 * Positions count characters as bytes: the kernel's logs are ASCII (BTF and map names too).
 */
export class VerifierLog {
  // buf holds the bytes of absolute positions [base, pendAt); the newest writes wait in `pend`
  // and cover [pendAt, end). The log is [start, end).
  private buf: Uint8Array;
  private base = 0;
  private start = 0;
  private pend: string[] = [];
  private pendAt = 0;
  private end = 0;
  private readonly window: number;
  constructor(
    readonly level: number,
    keep = 1 << 20,
    private readonly chunk = CHUNK,
  ) {
    this.window = Math.max(1, keep - 1);
    this.buf = new Uint8Array(level > 0 ? Math.min(this.window, 1 << 16) : 0);
  }
  get enabled(): boolean {
    return this.level > 0;
  }
  get text(): string {
    this.flush();
    return utf8Decoder.decode(this.buf.subarray(this.start - this.base, this.end - this.base));
  }
  set text(s: string) {
    this.base = this.start = this.pendAt = this.end = 0;
    this.pend = [];
    this.write(s);
  }
  /** True when the start of the log was dropped (the kernel keeps only the tail, too). */
  get truncated(): boolean {
    this.rotate();
    return this.start > 0;
  }
  write(s: string): void {
    if (this.level <= 0 || !s) return;
    this.pend.push(s);
    this.end += s.length;
    if (this.end - this.pendAt >= this.chunk) this.flush();
  }
  private flush(): void {
    if (!this.pend.length) return;
    const p = this.pend;
    const s = p.length === 1 ? p[0]! : p.join('');
    this.pend = [];
    this.rotate();
    // What rotated out of the window is not encoded at all.
    const skip = Math.max(0, this.start - this.pendAt);
    const need = (s.length - skip) * 3;
    if (this.pendAt + skip - this.base + need > this.buf.length) this.makeRoom(this.pendAt + skip, need);
    const at = this.pendAt + skip - this.base;
    const written = utf8.encodeInto(skip ? s.slice(skip) : s, this.buf.subarray(at)).written;
    // Non-ASCII text (none is printed) takes more bytes than characters.
    this.end = this.pendAt = this.pendAt + skip + written;
    this.rotate();
  }
  // The window moves on at flushes, cut-backs and reads: the end was at its highest just before.
  private rotate(): void {
    if (this.end - this.start > this.window) this.start = this.end - this.window;
  }
  /** Drops the bytes before the log's start and grows the buffer so that `need` bytes fit at `from`. */
  private makeRoom(from: number, need: number): void {
    if (this.start > this.base) {
      const keep = Math.max(0, Math.min(this.pendAt, from) - this.start);
      this.buf.copyWithin(0, this.start - this.base, this.start - this.base + keep);
      this.base = this.start;
    }
    const used = from - this.base;
    if (used + need > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, used + need));
      grown.set(this.buf.subarray(0, Math.min(used, this.pendAt - this.base)));
      this.buf = grown;
    }
  }
  get pos(): number {
    return this.end;
  }
  reset(pos: number): void {
    if (pos >= this.end) return;
    this.rotate();
    if (pos < this.start) {
      // Cut back past what rotated out: the log is empty from there (bpf_vlog_reset).
      this.pend = [];
      this.base = this.start = this.pendAt = this.end = pos;
      return;
    }
    if (pos >= this.pendAt) {
      const p = this.pend;
      let at = this.end;
      while (p.length) {
        const last = p[p.length - 1]!;
        at -= last.length;
        if (at >= pos) p.pop();
        else {
          p[p.length - 1] = last.slice(0, pos - at);
          break;
        }
      }
    } else {
      this.pend = [];
      this.pendAt = pos;
    }
    this.end = pos;
  }
  /** The last `n` characters (for checks on what was just printed). */
  tail(n: number): string {
    this.flush();
    const from = Math.max(this.start, this.end - n * 3);
    return utf8Decoder.decode(this.buf.subarray(from - this.base, this.end - this.base)).slice(-n);
  }
}

/** vlog_alignment: column of the `; state` that follows an instruction. */
export const vlogAlignment = (pos: number): number => Math.ceil(Math.max(pos + 4, 40) / 8) * 8 - pos - 1;
