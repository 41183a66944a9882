import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AddressSpace,
  BPF_CALL_BASE,
  CallImmRangeError,
  X86_64_LAYOUT,
  x86_64AddressSpace,
} from './address-space';

const root = join(__dirname, '../..');

describe('x86-64 address space', () => {
  const as = x86_64AddressSpace();

  it("places every call target of the public corpus at the reference kernel's distance from __bpf_call_base", () => {
    let n = 0;
    for (const line of readFileSync(join(root, 'test/fixtures/corpus/cases.jsonl'), 'utf8').split('\n')) {
      if (!line) continue;
      const c = JSON.parse(line);
      const x: string | null = c.kernel.xlated;
      if (!x) continue;
      for (const call of c.kernel.xlated_calls as { insn: number; kind: string; symbol: string }[]) {
        if (call.kind !== 'helper' && call.kind !== 'kfunc') continue;
        const b = Buffer.from(x.slice(call.insn * 16, call.insn * 16 + 16), 'hex');
        expect(as.callImm(call.symbol)).toBe(b.readInt32LE(4));
        n++;
      }
    }
    expect(n).toBeGreaterThan(300);
  });

  it('knows every symbol either corpus half may name', () => {
    const syms = readFileSync(join(root, 'test/fixtures/kernel/symbols.txt'), 'utf8')
      .split('\n')
      .filter(Boolean);
    expect(syms.length).toBe(23);
    for (const s of syms) expect(as.has(s), s).toBe(true);
  });

  it('resolves call immediates back to symbols', () => {
    expect(as.symbolForImm(as.callImm('bpf_skb_pull_data'))).toEqual({
      name: 'bpf_skb_pull_data',
      offset: 0,
    });
    expect(as.symbolForImm(0)).toEqual({ name: '__bpf_call_base', offset: 0 });
  });

  it('puts module functions in the module area within BPF_CALL_IMM reach on x86-64', () => {
    const a = x86_64AddressSpace();
    const [f, g] = a.addModule('bpf_testmod', [{ name: 'mod_fn', size: 100 }, { name: 'mod_fn2' }]);
    expect(f!.addr).toBe(X86_64_LAYOUT.moduleStart);
    expect(g!.addr).toBe(X86_64_LAYOUT.moduleStart + 112n);
    expect(a.reachableByCallImm('mod_fn')).toBe(true);
    expect(a.symbolForImm(a.callImm('mod_fn2'))?.name).toBe('mod_fn2');
  });

  it('refuses a call imm that does not fit s32 (far module text on other architectures)', () => {
    const far = new AddressSpace(BPF_CALL_BASE, [], 0xffff800008000000n);
    far.addModule('m', [{ name: 'far_fn' }]);
    expect(far.reachableByCallImm('far_fn')).toBe(false);
    expect(() => far.callImm('far_fn')).toThrow(CallImmRangeError);
    expect(() => far.callImm('far_fn')).toThrow('address of kernel function far_fn is out of range');
  });
});
