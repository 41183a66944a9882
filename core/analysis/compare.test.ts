// Pins the claims of the kfunc vs BPF_CALL_N debate (thread.md §2, §5) to what the modeled
// pipeline measures for the shipped models.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../btf/btf';
import { BtfRegistry } from '../btf/registry';
import { BPF_PSEUDO_KFUNC_CALL } from '../isa/opcodes';
import { KERNEL_TEXT_LINUX_6_18 } from '../kernel/text-linux-6.18';
import { assembleProgram } from '../model/build';
import { checkModel } from '../model/check';
import { runModelPipeline } from '../model/pipeline';
import { modelVerifier } from '../model/verify';
import { compareDesigns, distillCheck, type ModelComparison, type VariantResult } from './compare';
import { formatComparisonMarkdown, formatComparisonTable } from './format';
import { forwarderEstimate, median, symbolTextBytes } from './kernel-text';

const root = resolve(__dirname, '../..');
const base = parseBtf(gunzipSync(readFileSync(join(root, 'assets/vmlinux.btf.gz'))));
const registry = new BtfRegistry(base);
const load = (name: string) => {
  const f = join(root, 'models', name);
  return checkModel(f, readFileSync(f, 'utf8'), { btf: registry });
};
const qdisc = load('qdisc.yaml');
const testmodV2 = load('bpf_testmod_v2_kfunc.yaml');

const variant = (c: ModelComparison, member: string, design: string): VariantResult =>
  c.members.find((m) => m.member === member)!.variants.find((v) => v.design === design)!;

describe('kfunc vs BPF_CALL_N wrapper in generated code', () => {
  const auto = compareDesigns(qdisc, base, { profile: 'auto' });

  it('runs each qdisc design where the kernel uses it: kfunc on v6.18, wrapper on bpf-next-2026', () => {
    const k = variant(auto, 'init', 'kfunc');
    const w = variant(auto, 'init', 'wrapper');
    expect([k.profile, k.status, w.profile, w.status]).toEqual(['v6.18', 'ok', 'bpf-next-2026', 'ok']);
    expect(auto.members.map((m) => m.member)).toEqual(['init', 'reset', 'destroy']);
  });

  it('on x86-64 a BPF_CALL_N wrapper adds no argument-conversion instructions', () => {
    for (const member of ['init', 'reset', 'destroy']) {
      const k = variant(auto, member, 'kfunc');
      const w = variant(auto, member, 'wrapper');
      // Same BPF instructions around the call, same xlated length, and the x86-64 JIT emits
      // byte-for-byte the same amount of code per instruction: only the call target differs.
      expect(w.generatedInsns).toBe(k.generatedInsns);
      expect(w.xlatedInsns).toBe(k.xlatedInsns);
      expect(w.jitGeneratedInsnBytes).toEqual(k.jitGeneratedInsnBytes);
      expect(w.jitBytes).toBe(k.jitBytes);
    }
    // The qdisc prologue is the kernel's 8 insns (7 + the copy of insn 0).
    expect(variant(auto, 'init', 'kfunc').insnsAdded).toBe(7);
  });

  it('charges the kfunc design BTF, id-set entries and a descriptor; the wrapper none of them', () => {
    const k = variant(auto, 'reset', 'kfunc');
    const w = variant(auto, 'reset', 'wrapper');
    // vmlinux already has the prototype `void (struct Qdisc *sch)` (qdisc_reset's), which BTF
    // dedup shares: the kfunc needs only its FUNC record (12) and its name string.
    const proto = base.type(base.findByName('qdisc_reset', 'FUNC')!);
    expect(proto.kind === 'FUNC' && base.type(proto.type)).toMatchObject({ kind: 'FUNC_PROTO', ret: 0 });
    const nameBytes = 'bpf_qdisc_reset_destroy_epilogue'.length + 1;
    expect(k.btf.requiredBytes).toBe(12 + nameBytes);
    // bpf_qdisc_init_prologue's (int (struct Qdisc *, struct netlink_ext_ack *)) is not there: + FUNC_PROTO.
    const init = variant(auto, 'init', 'kfunc');
    expect(init.btf.requiredBytes).toBe(12 + 12 + 2 * 8 + 'bpf_qdisc_init_prologue'.length + 1);
    // btf_distill_func_proto on the emitted BTF: int (struct Qdisc *, struct netlink_ext_ack *).
    expect(init.distill.map((d) => [d.name, d.distillOk, d.retSize, d.argSizes])).toEqual([
      ['bpf_qdisc_init_prologue', true, 4, [8, 8]],
    ]);
    expect([k.btf.idSetEntries, k.btf.idListEntries]).toEqual([1, 1]);
    expect([k.verifier.kfuncDescriptors, k.verifier.distillRuns]).toEqual([1, 1]);
    expect([
      w.btf.requiredBytes,
      w.btf.idSetEntries,
      w.verifier.kfuncDescriptors,
      w.verifier.distillRuns,
    ]).toEqual([0, 0, 0, 0]);
  });

  it('a module kfunc called from an epilogue makes the program hold a module reference; a wrapper does not', () => {
    // kfunc where kfuncs in generated code exist (v6.18), wrapper where BPF_EMIT_CALL does (bpf-next-2026).
    const k = variant(compareDesigns(testmodV2, base, { profile: 'v6.18' }), 'test_epilogue', 'kfunc');
    const w = variant(
      compareDesigns(testmodV2, base, { profile: 'bpf-next-2026' }),
      'test_epilogue',
      'wrapper',
    );
    expect(k.status).toBe('ok');
    expect(w.status).toBe('ok');
    expect(k.references.programToModule).toEqual(['bpf_testmod']);
    expect(k.verifier.kfuncDescriptorsForGenerated).toBe(2);
    expect(w.references.programToModule).toEqual([]);
  });

  it('a struct_ops map holds its module reference either way', () => {
    const c = compareDesigns(testmodV2, base, { profile: 'auto' });
    for (const v of c.members[0]!.variants) expect(v.references.mapToModule).toBe('bpf_testmod');
    for (const v of auto.members[0]!.variants) expect(v.references.mapToModule).toBeNull();
  });

  it('on an architecture with far kfunc calls the kfunc variant keeps the BTF id for the JIT', () => {
    const c = compareDesigns(testmodV2, base, { profile: 'v6.18' });
    const k = variant(c, 'test_epilogue', 'kfunc');
    const w = variant(c, 'test_epilogue', 'wrapper');
    expect(k.farCall.s390.kfuncImm).toBe('btf-id');
    expect(k.farCall.x86_64.kfuncImm).toBe('imm-displacement');
    expect(k.farCall.s390.callable).toBe('always');
    // A BPF_EMIT_CALL imm cannot reach module text there.
    expect(w.farCall.s390.callable).toBe('never');
    // And the fixed-up program on s390 really keeps the BTF id in the call imm (fixup_kfunc_call).
    const prog = assembleProgram(testmodV2.resolved!, { build: testmodV2.build!, as: testmodV2.as! }, 0);
    const run = runModelPipeline({
      check: testmodV2,
      base,
      member: 'test_epilogue',
      insns: prog,
      design: 'kfunc',
      profile: 'v6.18',
      arch: 's390',
    });
    expect(run.ok).toBe(true);
    const calls = run.fixups!.insns.filter((i) => i.code === 0x85 && i.src === BPF_PSEUDO_KFUNC_CALL);
    const ids = ['bpf_kfunc_st_ops_inc10', 'bpf_kfunc_st_ops_inc100'].map((n) =>
      testmodV2.build!.kfuncIds.get(n),
    );
    expect(calls.map((i) => i.imm)).toEqual(ids);
    expect(run.fixups!.kfuncDescs.map((d) => [d.funcId, d.offset, d.imm])).toEqual(
      ids.map((id) => [id, 1, id]),
    );
  });
});

describe('profiles that cannot express a design', () => {
  it('rejects a kfunc epilogue under bpf-next-2026 (add_kfunc_in_insns removed)', () => {
    const v = variant(compareDesigns(qdisc, base, { profile: 'bpf-next-2026' }), 'reset', 'kfunc');
    expect(v.status).toBe('not-expressible');
    expect(v.reason).toMatch(
      /^verifier internal error: kernel function descriptor not found for func_id \d+$/,
    );
  });

  it('rejects a BPF_EMIT_CALL wrapper under v6.12 (no finalized_call: imm taken for a helper id)', () => {
    const c = compareDesigns(testmodV2, base, { profile: 'v6.12' });
    const v = variant(c, 'test_epilogue', 'wrapper');
    expect(v.status).toBe('not-expressible');
    expect(v.reason).toContain('do_misc_fixups');
    expect(variant(c, 'test_epilogue', 'kfunc').status).toBe('not-expressible');
  });

  it('says a profile older than the subsystem has none instead of measuring (qdisc under v6.12)', () => {
    const c = compareDesigns(qdisc, base, { profile: 'v6.12' });
    expect(c.absent?.reason).toBe('the subsystem first appears in v6.16, after profile v6.12 (Linux 6.12)');
    for (const m of c.members) {
      expect(m.kernelDesign).toBeNull();
      for (const v of m.variants)
        expect([v.status, v.xlatedInsns, v.jitBytes]).toEqual(['absent', null, null]);
    }
    const table = formatComparisonTable(c);
    expect(table).toContain('profile v6.12: the subsystem first appears in v6.16');
    expect(table).not.toContain('Totals');
    // Under auto the v6.12 column of "expressible under" names the absence, not a verifier error.
    expect(variant(compareDesigns(qdisc, base), 'init', 'kfunc').byProfile['v6.12']).toBe(c.absent?.reason);
  });

  it('reports a design the model does not declare instead of accepting it', () => {
    const v = variant(compareDesigns(qdisc, base), 'init', 'helper');
    expect(v.status).toBe('not-declared');
    expect(v.reason).toBe('bpf_qdisc_init_prologue is not a helper (no enum bpf_func_id value)');
  });
});

describe('output', () => {
  it('is plain data that survives JSON', () => {
    const c = compareDesigns(qdisc, base, { profile: 'auto', member: 'init' });
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
  });

  it('renders table and Markdown with one column per design', () => {
    const c = compareDesigns(qdisc, base, { profile: 'auto', member: 'reset' });
    const md = formatComparisonMarkdown(c).split('\n');
    expect(md).toContain('|  | kfunc | wrapper | helper |');
    expect(md).toContain('| profile | v6.18 | bpf-next-2026 | v6.18 |');
    expect(md).toContain('| expressible under | v6.18 | bpf-next-2026 | — |');
    expect(formatComparisonTable(c)).toContain('reset (epilogue; program fifo_reset');
  });

  it('gives kernel text in bytes from the 6.18 kallsyms extents', () => {
    const auto = compareDesigns(qdisc, base, { profile: 'auto' });
    const k = variant(auto, 'init', 'kfunc').kernelTextBytes;
    const w = variant(auto, 'init', 'wrapper').kernelTextBytes;
    // kfunc route: add_kfunc_in_insns (extent + __pfx_), once per kernel.
    const route = symbolTextBytes('add_kfunc_in_insns')!;
    expect(k.items.find((i) => i.symbol === 'add_kfunc_in_insns')).toMatchObject({
      bytes: route,
      source: 'measured 6.18',
      scope: 'kernel',
    });
    // Its call sites in convert_ctx_accesses are inline code: unmeasured, not zero.
    expect([k.total, k.unmeasured]).toEqual([route, 1]);
    // BPF_CALL_2(bpf_qdisc_init_prologue) is not in 6.18: median of the measured BPF_CALL_2 forwarders.
    const fw = KERNEL_TEXT_LINUX_6_18.forwarders[2]!.map((n) => symbolTextBytes(n)!);
    const init = w.items.find((i) => i.symbol === 'bpf_qdisc_init_prologue')!;
    expect([init.source, init.bytes]).toEqual(['estimate', median(fw)]);
    // finalized_call has no symbol of its own: counted as unmeasured, not as zero.
    expect([w.total, w.unmeasured]).toEqual([median(fw), 1]);
    // reset/destroy's BPF_CALL_1 epilogue wrapper uses the arity-1 forwarders.
    const reset = variant(auto, 'reset', 'wrapper').kernelTextBytes.items.find((i) => i.scope === 'target')!;
    expect(reset.bytes).toBe(forwarderEstimate(1)!.bytes);
    expect(variant(auto, 'init', 'helper').kernelTextBytes.items).toEqual([]);
    // In the totals the kfunc route's text is once per kernel, the wrapper's per subsystem.
    const md = formatComparisonMarkdown(compareDesigns(qdisc, base, { profile: 'auto', member: 'init' }));
    expect(md).toContain(`| per kernel: kernel text bytes | ${route} + ? | ? | — |`);
    expect(md).toContain(`| per subsystem: kernel text bytes | 0 | ${median(fw)} est. | — |`);
  });

  it('refuses an unknown member', () => {
    expect(() => compareDesigns(qdisc, base, { member: 'enqueue' })).toThrow(
      'member enqueue has no prologue or epilogue',
    );
    expect(() => compareDesigns(qdisc, base, { member: 'nope' })).toThrow('no member nope');
  });
});

describe('distillCheck', () => {
  it('flags struct-by-value and too many arguments', () => {
    const u64 = { kind: 'int', name: 'long long unsigned int', size: 8, signed: false } as const;
    const ok = distillCheck('f', { kind: 'func', ret: u64, params: [{ type: u64 }], variadic: false });
    expect([ok.distillOk, ok.helperAbiOk, ok.retSize, ok.argSizes]).toEqual([true, true, 8, [8]]);
    const six = distillCheck('g', {
      kind: 'func',
      ret: u64,
      params: Array(6).fill({ type: u64 }),
      variadic: false,
    });
    expect([six.distillOk, six.helperAbiOk]).toEqual([true, false]);
    const byVal = distillCheck('h', {
      kind: 'func',
      ret: { kind: 'void' },
      params: [{ name: 's', type: { kind: 'struct', name: 'big' } }],
      variadic: false,
    });
    expect(byVal.distillOk).toBe(false);
    expect(byVal.helperAbiReason).toBe('argument s: struct big by value (not castable to u64)');
  });
});

describe('verifier work per design', () => {
  it("fills do_check's processed insns from bpfCheck; generated code adds none (patched in after do_check)", () => {
    const c = compareDesigns(qdisc, base, { profile: 'auto' });
    const checked = checkModel(
      join(root, 'models/qdisc.yaml'),
      readFileSync(join(root, 'models/qdisc.yaml'), 'utf8'),
      {
        btf: registry,
        verify: modelVerifier,
      },
    );
    for (const member of ['init', 'reset', 'destroy']) {
      const k = variant(c, member, 'kfunc');
      const w = variant(c, member, 'wrapper');
      const prog = checked.programs.find((p) => p.member === member)!;
      expect(prog.processedInsns, member).toBeGreaterThan(0);
      expect(k.verifier.processedInsns, member).toBe(prog.processedInsns);
      expect(w.verifier.processedInsns, member).toBe(prog.processedInsns);
    }
    expect(variant(c, 'init', 'helper').verifier.processedInsns).toBeNull();
  });
});
