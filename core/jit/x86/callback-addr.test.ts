// The JIT image of programs with global functions and callbacks against Linux 6.18's
// (test/fixtures/objects/verifier/kernel.jsonl: jited bytes, each function's address and
// length). A callback's ld_imm64 (src BPF_PSEUDO_FUNC) loads the callee's bpf_func, which
// jit_subprogs writes in before the last pass.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { objectBytes, referenceBtf } from '../../../test/fixtures/objects/load';
import { BtfRegistry } from '../../btf/registry';
import { bpfProgLoad } from '../../kernel/prog-load';
import { kernelVersionOf } from '../../object/externs';
import { loadBpfObject } from '../../object/object';
import { progBtfOf } from '../../object/prog-btf';
import type { MapDef } from '../../verifier/index';
import type { ProgTypeName } from '../../verifier/progtypes/names';
import { X86_BPF_PROG_AREA } from './address-space';
import type { JitFuncsResult } from './jit';

interface KernelAnswer {
  object: string;
  program: string;
  level: 1 | 2;
  errno: number;
  jited?: string;
  jited_ksyms?: string[];
  jited_func_lens?: number[];
}

const FIXTURES = join(__dirname, '../../../test/fixtures/objects/verifier');
const answers = readFileSync(join(FIXTURES, 'kernel.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as KernelAnswer)
  .filter((k) => k.level === 1 && k.jited);
const target = referenceBtf();
const registry = new BtfRegistry(target);

function load(object: string, program: string) {
  const obj = loadBpfObject(objectBytes(`verifier/${object}`), {
    target,
    kconfig: { kernelVersion: kernelVersionOf('6.18.44') },
  });
  const p = obj.loaded.find((x) => x.name === program)!;
  const maps = p.maps.map(
    (m): MapDef => ({
      type: m.type as MapDef['type'],
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries,
    }),
  );
  const r = bpfProgLoad(
    {
      insns: p.insns,
      progType: p.progType as ProgTypeName,
      ...(p.attach ? { attach: { struct: p.attach.struct, member: p.attach.member } } : {}),
      maps,
      progBtf: progBtfOf(obj, p)!,
    },
    { btf: registry },
  );
  return r;
}

const s32 = (b: Uint8Array, at: number) => new DataView(b.buffer, b.byteOffset).getInt32(at, true);

/** Callbacks' `mov $imm32, %reg` (48 c7 cX imm32, the bpf_func sign-extended): image offset → callee. */
function callbackMovs(r: ReturnType<typeof load>): { at: number; callee: number }[] {
  const insns = r.verifier.fixups!.insns;
  const starts = r.verifier.subprogs.map((s) => s.start);
  const out: { at: number; callee: number }[] = [];
  insns.forEach((x, i) => {
    if (x.code !== 0x18 || x.src !== 4) return;
    out.push({ at: r.jit!.result.addrs[i]!, callee: starts.indexOf(i + x.imm + 1) });
  });
  return out;
}

describe('callbacks load their bpf_func; images as Linux 6.18 JITs them (addresses masked)', () => {
  for (const k of answers) {
    it(`${k.object} ${k.program}`, () => {
      const r = load(k.object, k.program);
      const res = r.jit!.result as JitFuncsResult;
      const kernel = Buffer.from(k.jited!, 'hex');
      // One function: bpf_int_jit_compile alone (no jit_subprogs), one length.
      const lens = res.funcLens ?? [res.image.length];
      expect(lens).toEqual(k.jited_func_lens);
      expect(res.image.length).toBe(kernel.length);
      const mine = Buffer.from(res.image);
      const masked = new Set<number>();
      const mask = (at: number, n: number) => {
        for (let i = 0; i < n; i++) masked.add(at + i);
      };
      // Calls (helpers, kfuncs, functions): rel32 to where each kernel placed its code.
      for (const c of res.calls) mask(c.at + 1, 4);
      for (const m of res.imm64) mask(m.at, 8);
      const ksyms = k.jited_ksyms!.map((a) => BigInt(a));
      // Laid out in function order from the program area (kCFI off: entry = image start).
      const entries = lens.map(
        (_l, j) => X86_BPF_PROG_AREA + BigInt(lens.slice(0, j).reduce((a, b) => a + b, 0)),
      );
      if (res.ksyms) expect(res.ksyms).toEqual(entries);
      for (const m of callbackMovs(r)) {
        // mov $imm32, %reg with the callee's address, in both images.
        expect([mine[m.at], mine[m.at + 1]]).toEqual([0x48, 0xc7]);
        expect(BigInt(s32(kernel, m.at + 3))).toBe(BigInt.asIntN(64, ksyms[m.callee]!));
        expect(BigInt(s32(mine, m.at + 3))).toBe(BigInt.asIntN(64, entries[m.callee]!));
        mask(m.at + 3, 4);
      }
      const diff: number[] = [];
      for (let i = 0; i < kernel.length; i++) if (!masked.has(i) && kernel[i] !== mine[i]) diff.push(i);
      expect(diff).toEqual([]);
    });
  }

  it("pins the bytes of fn_cong_avoid's callback load: mov $bpf_func(grow_step), %rsi", () => {
    const r = load('build/cc_funcs.bpf.o', 'fn_cong_avoid');
    const [m] = callbackMovs(r);
    const res = r.jit!.result as JitFuncsResult;
    expect(m!.callee).toBe(1);
    // grow_step's image follows the 160-byte main function: 0xffffffffc02000a0.
    expect(Buffer.from(res.image.subarray(m!.at, m!.at + 7)).toString('hex')).toBe('48c7c6a00020c0');
    // Sized with MODULES_VADDR first (also a sign-extended imm32), so no pass changes a length.
    expect(res.funcLens).toEqual([160, 47]);
    expect(res.ksyms).toEqual([0xffffffffc0200000n, 0xffffffffc02000a0n]);
  });
});
