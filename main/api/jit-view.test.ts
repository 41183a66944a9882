import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApiHandlers, findPackageRoot } from './handlers';

const root = findPackageRoot(__dirname);
const cases = readFileSync(join(root, 'test/fixtures/corpus/cases.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as Case);
const h = new ApiHandlers(root);

interface Case {
  id: string;
  kernel: {
    verdict: string;
    xlated: string;
    jited: string;
    jited_func_lens: number[];
    jited_calls: { kind: string; symbol: string }[];
  };
}

describe('jit view', () => {
  it('ties every x86 instruction after the prologue to an xlated insn, in order', () => {
    const c = cases.find(
      (x) =>
        x.kernel.verdict === 'accept' &&
        x.kernel.xlated.length / 16 >= 12 &&
        x.kernel.jited_func_lens.length === 1,
    );
    if (!c) throw new Error('no such case in the corpus');
    const v = h.jit({ id: c.id });
    expect(v.jitted).toBe(true);
    expect(v.xlated.length).toBeGreaterThan(0);
    // The listing covers the image exactly.
    expect(v.x86.map((l) => l.bytes).join('').length / 2).toBe(v.size);
    expect(v.size).toBe(c.kernel.jited.length / 2);
    const owned = v.x86.filter((l) => l.insn !== null).map((l) => l.insn!);
    expect(owned.length).toBeGreaterThan(0);
    expect([...owned].sort((a, b) => a - b)).toEqual(owned);
    // The first x86 insn is prologue; the last xlated insn (exit) owns code.
    expect(v.x86[0]!.insn).toBeNull();
    expect(owned).toContain(v.xlated[v.xlated.length - 1]!.idx);
  });

  it('names external calls by the kernel symbol', () => {
    const c = cases.find(
      (x) => x.kernel.verdict === 'accept' && x.kernel.jited_calls.some((k) => k.kind === 'call'),
    );
    if (!c) throw new Error('no such case in the corpus');
    const v = h.jit({ id: c.id });
    const sym = c.kernel.jited_calls.find((k) => k.kind === 'call')!.symbol;
    expect(v.x86.some((l) => l.text.includes(sym))).toBe(true);
  });

  it('says why a rejected program has no image', () => {
    const c = cases.find((x) => x.kernel.verdict === 'reject');
    if (!c) throw new Error('no such case in the corpus');
    const v = h.jit({ id: c.id });
    expect(v.jitted).toBe(false);
    expect(v.bpf.length).toBeGreaterThan(0);
  });

  it("names the struct field of the BPF listing's typed loads (r1 +1444 → tcp_sock.snd_cwnd)", () => {
    const v = h.jit({ id: 'clang-0002' });
    expect(v.jitted).toBe(true);
    expect(v.fields).toContainEqual({ idx: 1, field: 'tcp_sock.snd_cwnd' });
  });
});
