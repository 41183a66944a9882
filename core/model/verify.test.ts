import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../btf/btf';
import { BtfRegistry } from '../btf/registry';
import { assembleProgram } from './build';
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
      // pinned: a store past struct st_ops_args
      ['write_past_args', 'rejected', undefined, undefined, undefined],
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

  it("refuses a program do_check rejects, with the kernel's reason at the offending line", () => {
    const f = join(root, 'models/qdisc.yaml');
    const ok = checkModel(f, readFileSync(f, 'utf8'), { btf: registry, verify: modelVerifier });
    expect(ok.programs.find((p) => p.name === 'fifo_reset')!.verified).toBe('ok');
    const text = readFileSync(f, 'utf8').replace(
      '    member: reset\n    insns: |\n      r0 = 0\n',
      '    member: reset\n    insns: |\n      r0 = 0\n      r0 += r2\n',
    );
    const r = checkModel('m.yaml', text, { btf: registry, verify: modelVerifier });
    const p = r.programs.find((x) => x.name === 'fifo_reset')!;
    expect(p.verified).toBe('rejected');
    expect(p.stage).toBe('bpf_check');
    expect(p.error).toBe('R2 !read_ok');
    const line = text.split('\n').indexOf('      r0 += r2') + 1;
    expect(r.diagnostics.filter((d) => d.message.includes('R2'))).toEqual([
      expect.objectContaining({ line, col: 7, message: 'bpf_check: R2 !read_ok' }),
    ]);
  });

  it('reports processed insns and runs a module kfunc named through insn.off = fd_array index', () => {
    const f = join(root, 'models/bpf_testmod.yaml');
    const r = checkModel(f, readFileSync(f, 'utf8'), { btf: registry, verify: modelVerifier });
    for (const p of r.programs.filter((x) => !x.rejectedAsPinned)) {
      expect(p.stage).toBe('bpf_check');
      // main 6 insns + the subprog's 5, each once (no branches)
      expect(p.processedInsns).toBe(11);
    }
    // The same call with off 2 names no BTF object: add_kfunc_call refuses it.
    const build = checkModel(f, readFileSync(f, 'utf8'), { btf: registry });
    const bad = modelVerifier({
      model: build.resolved!,
      build: build.build!,
      as: build.as!,
      program: build.resolved!.programs[0]!,
      insns: assembleProgram(build.resolved!, { build: build.build!, as: build.as! }, 0).map((x) =>
        x.src === 2 && x.code === 0x85 ? { ...x, off: 2 } : x,
      ),
      profile: 'v6.18',
    })!;
    expect(bad).toMatchObject({ ok: false, stage: 'bpf_check', error: 'invalid module BTF fd specified' });
  });

  it('holds the program to its skb__ref reference: enqueue must drop the skb it owns', () => {
    const f = join(root, 'models/qdisc.yaml');
    const good = readFileSync(f, 'utf8');
    const drop = '      call bpf_qdisc_skb_drop\n';
    expect(good).toContain(drop);
    const r = checkModel('m.yaml', good.replace(drop, ''), { btf: registry, verify: modelVerifier });
    const p = r.programs.find((x) => x.name === 'drop_all_enqueue')!;
    expect(p.verified).toBe('rejected');
    // acquired at entry (insn 0) for the refcounted argument, never released
    expect(p.error).toBe('BPF_EXIT instruction in main prog would lead to reference leak');
  });
});
