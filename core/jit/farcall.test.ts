import { describe, expect, it } from 'vitest';
import { insn } from '../isa/insn';
import { x86_64AddressSpace } from '../kernel/address-space';
import { CALL_MODELS } from './arch/call-models';
import { type CallTarget, callTargetsOf, farCallNeeds, farCallVerdict, programCallTargets } from './farcall';
import { jitAddressSpaceOf } from './x86/address-space';
import { jitProgram } from './x86/jit';

const moduleKfunc: CallTarget = { name: 'bpf_qdisc_init_prologue', owner: 'module', kind: 'kfunc' };
const moduleWrapper: CallTarget = { name: 'bpf_qdisc_init_prologue_wrap', owner: 'module', kind: 'wrapper' };
const vmlinuxHelper: CallTarget = { name: 'bpf_skb_pull_data', owner: 'vmlinux', kind: 'helper' };

describe('far-call analysis', () => {
  it('x86-64: kernel text and the module area are within ±2 GiB of __bpf_call_base and of BPF images', () => {
    for (const v of farCallNeeds([moduleKfunc, moduleWrapper, vmlinuxHelper], 'x86_64')) {
      expect(v.immFits, v.name).toBe('always');
      expect(v.verifier.action).toBe('imm-displacement');
      expect(v.jit).toMatchObject({ reach: 'always', insn: 'call rel32 (e8)' });
      expect(v.callable).toBe('always');
    }
  });

  it('x86-64: every call target of the modeled 6.18 kernel is callable at its exact address', () => {
    const as = x86_64AddressSpace();
    const targets = callTargetsOf(
      as.symbols(),
      (n) => (n.startsWith('tcp_') ? 'kfunc' : 'helper'),
      true,
    ).filter((t) => t.addr! >= 0xffffffff80000000n && t.addr! < 0xffffffff82000000n);
    expect(targets.length).toBeGreaterThan(20);
    expect(farCallNeeds(targets, 'x86_64').every((v) => v.callable === 'always')).toBe(true);
  });

  it('x86-64: a target in vmalloc space is rejected as a kfunc, truncated as a wrapper, unreachable for rel32', () => {
    const far = 0xffffc90000000000n;
    const k = farCallVerdict({ name: 'far_kfunc', owner: 'module', kind: 'kfunc', addr: far }, 'x86_64');
    expect(k.verifier).toEqual({
      action: 'reject',
      message: 'address of kernel function far_kfunc is out of range',
    });
    expect(k.jit.reach).toBe('never');
    expect(k.callable).toBe('never');
    const w = farCallVerdict({ name: 'far_wrap', owner: 'module', kind: 'wrapper', addr: far }, 'x86_64');
    expect(w.verifier.action).toBe('truncated');
    expect(w.summary).toMatch(/does not check/);
  });

  it('far-kfunc architectures keep the BTF id for module kfuncs but cannot encode module wrappers', () => {
    for (const arch of ['s390', 'loongarch64', 'powerpc64'] as const) {
      expect(CALL_MODELS[arch].farKfuncCall).toBe(true);
      const [k, w, h] = farCallNeeds([moduleKfunc, moduleWrapper, vmlinuxHelper], arch);
      expect(k!.verifier.action, arch).toBe('btf-id');
      expect(k!.callable, arch).toBe('always');
      expect(w!.immFits, arch).toBe('never');
      expect(w!.verifier.action, arch).toBe('truncated');
      expect(w!.callable, arch).toBe('never');
      expect(h!.callable, arch).toBe('always');
    }
  });

  it('arm64: module kfuncs fit the imm; the JIT uses bl near and blr far', () => {
    const [k] = farCallNeeds([moduleKfunc], 'arm64');
    expect(k!.verifier.action).toBe('imm-displacement');
    expect(k!.jit.reach).toBe('always');
    expect(k!.jit.insn).toMatch(/blr/);
  });

  it('riscv64: auipc+jalr reach depends on where the module and the image land', () => {
    const [k] = farCallNeeds([moduleKfunc], 'riscv64');
    expect(k!.immFits).toBe('always');
    expect(k!.jit.reach).toBe('depends');
    expect(k!.jit.error).toMatch(/out of range/);
    expect(k!.callable).toBe('depends');
  });
});

describe('far calls of a JITed program', () => {
  it('names each helper/kfunc call of an image and checks it at its exact address', () => {
    const kernel = x86_64AddressSpace();
    kernel.addModule('bpf_qdisc_mod', [{ name: 'qdisc_wrapper' }]);
    const imm = (n: string) => Number(kernel.addr(n) - kernel.callBase);
    const insns = [
      insn(0x85, 0, 0, 0, imm('bpf_skb_pull_data')),
      insn(0x85, 0, 2, 0, imm('tcp_slow_start')),
      insn(0x85, 0, 0, 0, imm('qdisc_wrapper')),
      insn(0x95, 0, 0, 0, 0),
    ];
    const r = jitProgram({ insns, stackDepth: 0 }, jitAddressSpaceOf(kernel));
    const targets = programCallTargets(
      r.calls,
      (s) => kernel.lookup(s)?.area as 'vmlinux' | 'module' | undefined,
    );
    expect(targets.map((t) => [t.name, t.owner, t.kind])).toEqual([
      ['bpf_skb_pull_data', 'vmlinux', 'helper'],
      ['tcp_slow_start', 'vmlinux', 'kfunc'],
      ['qdisc_wrapper', 'module', 'helper'],
    ]);
    expect(farCallNeeds(targets, 'x86_64').map((v) => v.callable)).toEqual(['always', 'always', 'always']);
    // the same module symbol, were it an s390 module wrapper, could not be encoded
    expect(farCallNeeds([{ ...targets[2]!, addr: undefined }], 's390')[0]!.verifier.action).toBe('truncated');
  });
});
