// The takeaway is built from the measured numbers: check each sentence against the data
// it claims to state, on qdisc, the v2 kfunc proposal and a model written for the test.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../btf/btf';
import { BtfRegistry } from '../btf/registry';
import { checkModel } from '../model/check';
import { compareDesigns, type ModelComparison } from './compare';

const root = resolve(__dirname, '../..');
const base = parseBtf(gunzipSync(readFileSync(join(root, 'assets/vmlinux.btf.gz'))));
const registry = new BtfRegistry(base);
const load = (path: string) => checkModel(path, readFileSync(join(root, path), 'utf8'), { btf: registry });
const totals = (c: ModelComparison, d: string) => c.totals.find((t) => t.design === d)!;

describe('comparisonTakeaway', () => {
  it('qdisc: the BTF and kernel-text differences with their sizes, the equal code, the kernels that cannot', () => {
    const c = compareDesigns(load('models/qdisc.yaml'), base, { profile: 'auto' });
    const text = c.takeaway.join('\n');
    const k = totals(c, 'kfunc');
    const w = totals(c, 'wrapper');
    expect(text).toContain(
      `BTF required: kfunc ${k.perSubsystem.btfRequiredBytes}, BPF_CALL_N wrapper 0 bytes (-${k.perSubsystem.btfRequiredBytes})`,
    );
    expect(text).toContain(
      `BTF pahole emits anyway: kfunc 0, BPF_CALL_N wrapper ${w.perSubsystem.btfIncidentalBytes} bytes`,
    );
    expect(text).toContain(`x86-64 JIT bytes of generated code (${k.perMember.jitBytesGenerated} bytes)`);
    expect(text).toContain(`kfunc 0 per subsystem + ${k.perKernel.kernelText.total} + ? once per kernel`);
    // The kernel's own error for the kfunc epilogue under bpf-next-2026.
    const err = c.members[0]!.variants[0]!.byProfile['bpf-next-2026'];
    expect(err).toMatch(/kernel function descriptor not found/);
    expect(text).toContain(`under bpf-next-2026: ${err}`);
    expect(text).toContain('hidden by bpf_qdisc_kfunc_filter');
    expect(text).toContain('built into vmlinux');
    expect(text).toMatch(/not declared by the model: bpf_qdisc_init_prologue is not a helper/);
  });

  it('bpf_testmod_v2_kfunc: the module reference and the far-call architectures', () => {
    const c = compareDesigns(load('models/bpf_testmod_v2_kfunc.yaml'), base, { profile: 'v6.18' });
    const text = c.takeaway.join('\n');
    // Under one profile only the kfunc runs; the wrapper's error is stated.
    expect(totals(c, 'wrapper').status).toBe('not-expressible');
    expect(text).toContain('Only the kfunc design runs here');
    expect(text).toContain('With kfuncs each program holds a reference on bpf_testmod');
    expect(text).toContain('the struct_ops map holds bpf_testmod either way');
    expect(text).toMatch(
      /on s390, loongarch64 and powerpc64 \(far kfunc calls\) the kfunc call keeps its BTF id/,
    );
  });

  it('a model written for the test: shared epilogue counted once, module owner keeps the code', () => {
    const c = compareDesigns(load('test/fixtures/model/shared-epilogue.yaml'), base, { profile: 'auto' });
    const text = c.takeaway.join('\n');
    expect(text).toContain(
      '3 members with generated code (start, stop and reset) calling 2 kernel functions',
    );
    expect(text).toContain('kfunc descriptors: kfunc 3, BPF_CALL_N wrapper 0');
    expect(text).toContain(
      'module demo_mod keeps demo_start_prologue and demo_stop_epilogue in kfunc set demo_kfunc_ids',
    );
    expect(text).toContain('with BPF_CALL_N wrappers programs hold no module reference');
    // Module text may be out of reach of a BPF_EMIT_CALL immediate on far-call architectures.
    for (const p of totals(c, 'wrapper').farCallProblems)
      expect(text).toMatch(
        new RegExp(`BPF_CALL_N wrapper calls (cannot|may not) reach [^.;]*\\b${p.arch}\\b`),
      );
    expect(totals(c, 'wrapper').farCallProblems.length).toBeGreaterThan(0);
  });

  it('qdisc under v6.12: says the subsystem is absent and nothing else', () => {
    const c = compareDesigns(load('models/qdisc.yaml'), base, { profile: 'v6.12' });
    expect(c.takeaway).toEqual([`${c.title}: ${c.absent!.reason}, so there is nothing to measure under it.`]);
  });
});
