import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../btf/btf';
import { BtfRegistry } from '../btf/registry';
import { checkModel } from './check';
import { modelVerifier } from './verify';

const root = resolve(__dirname, '../..');
const registry = new BtfRegistry(parseBtf(gunzipSync(readFileSync(join(root, 'assets/vmlinux.btf.gz')))));

describe('bpf_testmod st_ops through the modeled pipeline', () => {
  it('patches the pro_epilogue selftest programs exactly as their __xlated expectations say', () => {
    const f = join(root, 'models/bpf_testmod.yaml');
    const r = checkModel(f, readFileSync(f, 'utf8'), { btf: registry, verify: modelVerifier });
    expect(r.diagnostics).toEqual([]);
    expect(
      r.programs.map((p) => [p.name, p.verified, p.xlatedMatches, p.xlatedInsns, p.retvalMatches]),
    ).toEqual([
      // prologue 4 + copy, main 6 → 10, subprog 5
      ['test_prologue', 'ok', true, 15, true],
      // ctx save + main (exit → 8-insn epilogue) + subprog
      ['test_epilogue', 'ok', true, 19, true],
      ['test_pro_epilogue', 'ok', true, 23, true],
    ]);
  });

  it("runs the patched programs: the selftests' __retval (1011, 20022, 22022) come out of the interpreter", () => {
    const f = join(root, 'models/bpf_testmod.yaml');
    const text = readFileSync(f, 'utf8').replace('retval: 20022', 'retval: 20021');
    const r = checkModel('m.yaml', text, { btf: registry, verify: modelVerifier });
    expect(r.diagnostics.map((d) => d.message)).toEqual(['retval 20022, expected 20021']);
  });

  it('reports a mismatch against an expectation at the expectation', () => {
    const f = join(root, 'models/bpf_testmod.yaml');
    const text = readFileSync(f, 'utf8').replace('        2: r7 += 1000\n', '        2: r7 += 2000\n');
    const r = checkModel('m.yaml', text, { btf: registry, verify: modelVerifier });
    expect(r.diagnostics.map((d) => `${d.line}: ${d.message}`)).toEqual([
      expect.stringMatching(/^\d+: xlated insn 2 is '2: r7 \+= 1000', expected '2: r7 \+= 2000'$/),
    ]);
  });

  it('rejects qdisc under v6.12, which has no kfunc calls in generated code', () => {
    const f = join(root, 'models/qdisc.yaml');
    const r = checkModel(f, readFileSync(f, 'utf8'), {
      btf: registry,
      verify: modelVerifier,
      profile: 'v6.12',
    });
    const init = r.programs.find((p) => p.member === 'init')!;
    expect(init.verified).toBe('rejected');
    expect(init.error).toMatch(/kernel function descriptor not found/);
  });
});
