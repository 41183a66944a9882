import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inProcessBackend } from './backend';
import { findPackageRoot } from './handlers';
import type { ApiEnvelope, JitView, VerifyView } from './types';

const root = findPackageRoot(__dirname);
const api = inProcessBackend(root);

async function ok<T>(method: string, params: unknown): Promise<T> {
  const env = await api.call(method, params);
  if (!env.ok) throw new Error(env.error.message);
  return env.result as T;
}

describe("a model's member programs in the Verifier and JIT views", () => {
  it('verifies qdisc fifo_init with the init prologue patched in, per call design', async () => {
    const kfunc = await ok<VerifyView>('verify', {
      model: { name: 'qdisc', program: 'fifo_init', profile: 'v6.18' },
    });
    expect(kfunc.program).toMatchObject({
      model: 'qdisc',
      member: 'init',
      design: 'kfunc',
      profile: 'v6.18',
      generated: ['prologue'],
    });
    expect(kfunc.program!.programs.map((p) => p.name)).toContain('fifo_reset');
    expect(kfunc.model.verdict).toBe('accept');
    expect(kfunc.bpf.length).toBe(5);
    const patched = kfunc.model.xlated!.map((l) => l.text).join('\n');
    expect(kfunc.model.xlated!.length).toBeGreaterThan(kfunc.bpf.length);
    expect(patched).toContain('bpf_qdisc_init_prologue');
    expect(kfunc.model.log).toMatch(/processed \d+ insns/);
    // fifo_init writes sch->limit: insn 2 stores through R1=trusted_ptr_Qdisc at +20.
    expect(kfunc.fields).toContainEqual({ idx: 2, field: 'Qdisc.limit' });
    // bpf-next-2026 emits the same call through the BPF_CALL_2 wrapper.
    const wrapper = await ok<VerifyView>('verify', {
      model: { name: 'qdisc', program: 'fifo_init', profile: 'bpf-next-2026' },
    });
    expect(wrapper.program!.design).toBe('wrapper');
    expect(wrapper.model.xlatedHex).not.toBe(kfunc.model.xlatedHex);
  });

  it("JITs it: x86 lines tied to the patched program's insns", async () => {
    const j = await ok<JitView>('jit', { model: { name: 'qdisc', program: 'fifo_init', design: 'wrapper' } });
    expect(j.jitted).toBe(true);
    expect(j.program).toMatchObject({ design: 'wrapper', profile: 'bpf-next-2026' });
    expect(j.size).toBeGreaterThan(0);
    expect(j.x86.length).toBeGreaterThan(j.xlated.length);
    const owners = new Set(j.x86.map((l) => l.insn).filter((x) => x !== null));
    expect(Math.max(...owners)).toBeLessThan(j.xlated.length);
    expect(j.x86.some((l) => /call/.test(l.text))).toBe(true);
  });

  // A load through a BTF pointer is BPF_PROBE_MEM in the JIT's input; the listing shows it as
  // bpftool's xlated dump does (bpf_testmod's subprogram reads st_ops_args->a that way).
  it('shows probe loads in the patched program as plain loads', async () => {
    const j = await ok<JitView>('jit', { model: { name: 'bpf_testmod', program: 'test_prologue' } });
    const v = await ok<VerifyView>('verify', { model: { name: 'bpf_testmod', program: 'test_prologue' } });
    for (const listing of [j.xlated, v.model.xlated!]) {
      const text = listing.map((l) => l.text).join('\n');
      expect(text).not.toMatch(/BUG_/);
      expect(text).toMatch(/r2 = \*\(u64 \*\)\(r1 \+0\)/);
    }
  });

  it('a design the model cannot express is a rejection with the reason, not a failure', async () => {
    const v = await ok<VerifyView>('verify', {
      model: { name: 'qdisc', program: 'fifo_init', design: 'helper' },
    });
    expect(v.model.verdict).toBe('reject');
    expect(v.model.error).toMatch(/bpf_qdisc_init_prologue is not a helper/);
    const j = await ok<JitView>('jit', { model: { name: 'qdisc', program: 'fifo_init', design: 'helper' } });
    expect(j.jitted).toBe(false);
    expect(j.reason).toMatch(/not a helper/);
  });

  it('refuses an unknown program (naming the ones there are) and both id and model', async () => {
    const env: ApiEnvelope = await api.call('verify', { model: { name: 'qdisc', program: 'nope' } });
    expect(env).toMatchObject({ ok: false, error: { code: 'not-found' } });
    expect(!env.ok && env.error.message).toMatch(/no program 'nope' \(it has fifo_init, /);
    const both: ApiEnvelope = await api.call('jit', {
      id: 'hand-0001',
      model: { name: 'qdisc', program: 'x' },
    });
    expect(!both.ok && both.error.message).toMatch(/give either id or model/);
  });
});

describe('a member program taken from a BPF object (global functions, a bpf_loop callback)', () => {
  const fixtures = join(root, 'test/fixtures/objects/verifier');
  const served = inProcessBackend(root, [fixtures]);
  const model = join(fixtures, 'cc_funcs.yaml');
  const call = async <T>(method: string, params: unknown): Promise<T> => {
    const env = await served.call(method, params);
    if (!env.ok) throw new Error(env.error.message);
    return env.result as T;
  };

  it('the Verifier view: verified with its func_info, C lines in the log', async () => {
    const v = await call<VerifyView>('verify', { model: { name: model, program: 'fn_ssthresh' } });
    expect(v.model.verdict).toBe('accept');
    expect(v.model.log).toContain('Validating cc_half() func#1...');
    expect(v.model.log).toContain('; return cc_half(tp->snd_cwnd); @ cc_funcs.bpf.c:43');
  });

  it('the JIT view: the prologue patched in, C lines beside the BPF', async () => {
    const j = await call<JitView>('jit', { model: { name: model, program: 'fn_cong_avoid' } });
    expect(j.jitted).toBe(true);
    expect(j.program!.generated).toEqual(['prologue']);
    expect(j.source!.map((s) => [s.idx, s.line])).toContainEqual([5, 52]);
    expect(j.source!.find((s) => s.line === 52)!.text).toContain('bpf_loop(acked & 15, grow_step, &g, 0);');
  });
});
