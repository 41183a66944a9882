// The JIT view of a corpus case: the program as loaded, the kernel's xlated
// (patched) program, and kmodel's x86-64 JIT of that xlated program, each x86
// instruction tied to the xlated insn it came from, compared with the kernel's image.

import { insnStarts } from '../../core/isa/cfg';
import { type DisasmResolver, formatInsn } from '../../core/isa/disasm';
import { bytesToHex, insnsFromHex } from '../../core/isa/encoding';
import type { Insn } from '../../core/isa/insn';
import { type CorpusCase, compareWithKernel, jitCorpusCase } from '../../core/jit/x86/corpus-case';
import type { JitResult } from '../../core/jit/x86/jit';
import { disassembleX86, type X86Syntax } from '../host/x86-listing';
import type { JitView, PlainLine, X86ViewLine } from './types';

function plainListing(insns: readonly Insn[], resolver?: DisasmResolver): PlainLine[] {
  return insnStarts(insns).map((i) => ({ idx: i, text: formatInsn(insns, i, resolver) }));
}

/** The JIT image as x86 lines, each tied to the xlated insn that emitted it. */
export function x86ViewLines(r: JitResult, insnCount: number, syntax: X86Syntax = 'intel'): X86ViewLine[] {
  // Which xlated insn emitted each byte range.
  const owner: { start: number; end: number; insn: number }[] = [];
  for (let k = 0; k < insnCount; k++) {
    const n = r.perInsnBytes[k] ?? 0;
    if (n > 0) owner.push({ start: r.addrs[k]!, end: r.addrs[k]! + n, insn: k });
  }
  owner.sort((a, b) => a.start - b.start);
  let o = 0;
  return disassembleX86(r.image, { syntax, calls: r.calls }).map((l) => {
    while (o < owner.length && owner[o]!.end <= l.offset) o++;
    const own = owner[o];
    return {
      offset: l.offset,
      bytes: bytesToHex(l.bytes),
      text: l.text,
      insn: own && own.start <= l.offset ? own.insn : null,
    };
  });
}

export function jitView(c: CorpusCase & { insns: string }, syntax: X86Syntax = 'intel'): JitView {
  const bpf = plainListing(insnsFromHex(c.insns));
  if (c.kernel.verdict !== 'accept' || !c.kernel.xlated) {
    return { id: c.id, bpf, xlated: [], x86: [], jitted: false, reason: 'the kernel rejected this program' };
  }
  const j = jitCorpusCase(c);
  const symbols = new Map(c.kernel.xlated_calls.map((x) => [x.insn, x.symbol]));
  const resolver: DisasmResolver = { callName: (_insn, i) => symbols.get(i) ?? undefined };
  const xlated = plainListing(j.insns, resolver);
  const r = j.result;
  const x86 = x86ViewLines(r, j.insns.length, syntax);
  const cmp = compareWithKernel(c, j);
  return {
    id: c.id,
    bpf,
    xlated,
    x86,
    jitted: true,
    size: r.size,
    kernelSize: cmp.sizeKernel,
    passes: r.passes,
    exact: cmp.exact,
    reason: cmp.reason,
  };
}
