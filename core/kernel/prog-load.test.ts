import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadReferenceVmlinuxBtfSync } from '../../main/host/btf-files';
import { BtfRegistry } from '../btf/registry';
import { assemble } from '../isa/asm';
import { BPF_LDX, BPF_MODE, BPF_PROBE_MEM } from '../isa/opcodes';
import { assembleProgram } from '../model/build';
import { checkModel } from '../model/check';
import { modelAttach } from '../model/pipeline';
import { bpfProgLoad, jitXlated } from './prog-load';

const reg = new BtfRegistry(loadReferenceVmlinuxBtfSync());

describe('bpfProgLoad: bpf_check then the JIT', () => {
  it('JITs prog->insnsi, keeping BPF_PROBE_MEM loads the xlated dump shows as plain ones', () => {
    const text = readFileSync(join(__dirname, '../../models/tcp_cc.yaml'), 'utf8');
    const check = checkModel('tcp_cc.yaml', text, { btf: reg });
    const a = modelAttach(check, reg.vmlinux.btf, 'cong_avoid', undefined, 'v6.18');
    // sk is a trusted struct_ops argument; the pointer read out of it is a plain (untrusted) one.
    const walk = 'r1 = *(u64 *)(r1 +0)\nr2 = *(u64 *)(r1 +24)\nr0 = *(u32 *)(r2 +0)\nexit';
    const load = bpfProgLoad({ insns: assemble(walk), ...a.attr }, a.env);
    expect(load.verifier.verdict).toBe('accept');
    const fx = load.verifier.fixups!.insns;
    const probes = fx.flatMap((x, i) =>
      (x.code & 0x07) === BPF_LDX && BPF_MODE(x.code) === BPF_PROBE_MEM ? [i] : [],
    );
    // Only the load through the walked pointer probes: trusted pointers are loaded directly.
    expect(probes).toEqual([2]);
    expect(BPF_MODE(load.verifier.xlated![2]!.code)).not.toBe(BPF_PROBE_MEM);
    // The exception-table code makes the probing load longer than the dump's plain load.
    const fromDump = jitXlated(load.verifier.xlated!, load.addressSpace);
    expect(load.jit!.result.perInsnBytes[2]).toBeGreaterThan(fromDump.result.perInsnBytes[2]!);
    expect(load.jit!.result.perInsnBytes[1]).toBe(fromDump.result.perInsnBytes[1]);
    expect(load.jit!.funcs.map((f) => f.start)).toEqual(load.verifier.subprogs.map((s) => s.start));
  });

  it('a load that sees a trusted pointer on one path and a walked one on another probes (save_aux_ptr_type)', () => {
    const text = readFileSync(join(__dirname, '../../models/tcp_cc.yaml'), 'utf8');
    const check = checkModel('tcp_cc.yaml', text, { btf: reg });
    const a = modelAttach(check, reg.vmlinux.btf, 'cong_avoid', undefined, 'v6.18');
    const prog = [
      'r6 = *(u64 *)(r1 +0)',
      'r2 = *(u64 *)(r1 +8)',
      'if r2 == 0x0 goto pc+1',
      'r6 = *(u64 *)(r6 +24)',
      'r0 = *(u32 *)(r6 +0)',
      'exit',
    ].join('\n');
    const load = bpfProgLoad({ insns: assemble(prog), ...a.attr }, a.env, { jit: false });
    expect(load.verifier.verdict).toBe('accept');
    const modes = load.verifier.fixups!.insns.map((x) =>
      (x.code & 0x07) === BPF_LDX ? BPF_MODE(x.code) : -1,
    );
    // Insn 3 reads through the trusted sk; insn 4 through sk or the hlist_node read out of it.
    expect(modes[3]).not.toBe(BPF_PROBE_MEM);
    expect(modes[4]).toBe(BPF_PROBE_MEM);
  });

  it('a map value ld_imm64 does not make the JIT save r6 (its pseudo src is cleared before the JIT)', () => {
    const prog = 'r1 = map[idx:0]+8\nr0 = *(u64 *)(r1 +0)\nexit';
    const maps = [{ type: 'array' as const, keySize: 4, valueSize: 16, maxEntries: 1 }];
    const load = bpfProgLoad({ insns: assemble(prog), progType: 'sched_cls', maps }, { btf: reg });
    expect(load.verifier.verdict).toBe('accept');
    expect(load.verifier.fixups!.insns[0]!.src).toBe(6);
    // After the 12-byte prologue: movabs $value, %rdi (48 bf), not push %rbx (53), the save of r6.
    expect([...load.jit!.result.image.subarray(12, 14)]).toEqual([0x48, 0xbf]);
  });

  it('a rejected program is not JITed; jit: false stops after bpf_check', () => {
    const bad = bpfProgLoad({ insns: assemble('r0 = r5\nexit'), progType: 'socket_filter' }, { btf: reg });
    expect(bad.verifier.verdict).toBe('reject');
    expect(bad.jit).toBeUndefined();
    const ok = { insns: assemble('r0 = 0\nexit'), progType: 'socket_filter' as const };
    expect(bpfProgLoad(ok, { btf: reg }).jit?.result.size).toBeGreaterThan(0);
    expect(bpfProgLoad(ok, { btf: reg }, { jit: false }).jit).toBeUndefined();
  });
});
