// x86-64 disassembly of JIT images through iced-x86 (GAS or Intel syntax), interleaved with the
// BPF instruction each range of bytes came from. Node-side: the iced-x86 npm build reads its wasm
// with Node file calls, so it cannot live in core.

import { createRequire } from 'node:module';
import type * as Iced from 'iced-x86';
import type { DisasmResolver } from '../../core/isa/disasm';
import { formatInsn } from '../../core/isa/disasm';
import type { Insn } from '../../core/isa/insn';
import type { JitCall, JitResult } from '../../core/jit/x86/jit';

export type X86Syntax = 'intel' | 'gas';

let iced: typeof Iced | undefined;
/** Loaded on first use: the wasm costs ~20 ms, and most commands never disassemble. */
function loadIced(): typeof Iced {
  iced ??= createRequire(import.meta.url)('iced-x86') as typeof Iced;
  return iced;
}

export interface X86Line {
  /** Offset in the image. */
  offset: number;
  length: number;
  bytes: Uint8Array;
  /** Formatted instruction (operands of external calls replaced by their symbol). */
  text: string;
  /** Target offset inside the image of a jump/call, when it has one. */
  branchTarget?: number;
  invalid: boolean;
}

export interface DisassembleOptions {
  syntax?: X86Syntax;
  /** External call/jmp sites (offset of the opcode) to print by symbol. */
  calls?: readonly Pick<JitCall, 'at' | 'symbol' | 'target'>[];
}

/** Decodes the whole image; undecodable bytes come out as `invalid` lines. */
export function disassembleX86(image: Uint8Array, opts: DisassembleOptions = {}): X86Line[] {
  const { Decoder, Formatter, FormatterSyntax, Code, OpKind } = loadIced();
  const decoder = new Decoder(64, image, 0);
  decoder.ip = 0n;
  const fmt = new Formatter(opts.syntax === 'intel' ? FormatterSyntax.Intel : FormatterSyntax.Gas);
  fmt.branchLeadingZeros = false;
  fmt.leadingZeros = false;
  fmt.spaceAfterOperandSeparator = true;
  fmt.uppercaseHex = false;
  fmt.hexPrefix = '0x';
  fmt.hexSuffix = '';
  fmt.signedImmediateOperands = true;
  const external = new Map((opts.calls ?? []).map((c) => [c.at, c]));
  const lines: X86Line[] = [];
  try {
    for (const ins of decoder.decodeAll()) {
      const offset = Number(ins.ip);
      const length = ins.length;
      const invalid = ins.code === Code.INVALID;
      const ext = external.get(offset);
      let text: string;
      let branchTarget: number | undefined;
      if (ext) {
        const name = ext.symbol ?? `0x${BigInt.asUintN(64, ext.target).toString(16)}`;
        text = `${fmt.formatMnemonic(ins)} ${name}`;
      } else {
        text = invalid ? '(bad)' : fmt.format(ins);
        if (ins.op0Kind === OpKind.NearBranch64) branchTarget = Number(ins.nearBranch64);
      }
      lines.push({
        offset,
        length,
        bytes: image.subarray(offset, offset + length),
        text,
        branchTarget,
        invalid,
      });
      ins.free();
    }
  } finally {
    decoder.free();
    fmt.free();
  }
  return lines;
}

export interface ListingOptions {
  syntax?: X86Syntax;
  /** Names for BPF calls / ld_imm64 immediates in the interleaved BPF lines. */
  resolver?: DisasmResolver;
  /** First insn of each function (jitProgramFuncs); function k's image starts at addrs[starts[k]]'s function base. */
  funcStarts?: readonly number[];
  /** Show the bytes of each x86 instruction. */
  showBytes?: boolean;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');

/**
 * The listing: BPF lines (`; 12: r0 = 1`) followed by the x86 code emitted for them,
 * the prologue first, every external call named by symbol.
 */
export function jitListing(insns: readonly Insn[], jit: JitResult, opts: ListingOptions = {}): string {
  const lines = disassembleX86(jit.image, { syntax: opts.syntax, calls: jit.calls });
  const starts = opts.funcStarts ?? [0];
  const out: string[] = [];
  const width = jit.size.toString(16).length;
  const emit = (l: X86Line) => {
    const off = l.offset.toString(16).padStart(width, '0');
    const bytes = opts.showBytes ? `${hex(l.bytes).padEnd(30)} ` : '';
    out.push(`  ${off}:  ${bytes}${l.text}`);
  };
  let li = 0;
  const flushUntil = (end: number) => {
    while (li < lines.length && lines[li]!.offset < end) emit(lines[li++]!);
  };
  for (let k = 0; k < insns.length; k++) {
    const f = starts.indexOf(k);
    if (f >= 0) {
      if (starts.length > 1) out.push(`func#${f}:`);
      out.push('; prologue');
      flushUntil(jit.addrs[k]!);
    }
    out.push(`; ${k}: ${formatInsn(insns, k, opts.resolver)}`);
    const end = jit.addrs[k]! + jit.perInsnBytes[k]!;
    flushUntil(end);
    if (insns[k]!.code === 0x18) k++;
  }
  flushUntil(Number.POSITIVE_INFINITY);
  return `${out.join('\n')}\n`;
}

/** Hex dump of an image, 16 bytes a line, kernel-offset prefixed. */
export function hexImage(image: Uint8Array): string {
  const out: string[] = [];
  for (let o = 0; o < image.length; o += 16) {
    out.push(`${o.toString(16).padStart(4, '0')}: ${hex(image.subarray(o, o + 16))}`);
  }
  return `${out.join('\n')}\n`;
}
