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
    const text = readFileSync(join(__dirname, '../../models/bpf_testmod.yaml'), 'utf8');
    const check = checkModel('bpf_testmod.yaml', text, { btf: reg });
    const insns = assembleProgram(check.resolved!, { build: check.build!, as: check.as! }, 0);
    const a = modelAttach(check, reg.vmlinux.btf, 'test_prologue', undefined, 'v6.18');
    const load = bpfProgLoad({ insns, ...a.attr }, a.env);
    expect(load.verifier.verdict).toBe('accept');
    const fx = load.verifier.fixups!.insns;
    const probe = fx.findIndex((x) => (x.code & 0x07) === BPF_LDX && BPF_MODE(x.code) === BPF_PROBE_MEM);
    expect(probe).toBeGreaterThan(0);
    expect(BPF_MODE(load.verifier.xlated![probe]!.code)).not.toBe(BPF_PROBE_MEM);
    // The exception-table code makes the probing load longer than the dump's plain load.
    const fromDump = jitXlated(load.verifier.xlated!, load.addressSpace);
    expect(load.jit!.result.perInsnBytes[probe]).toBeGreaterThan(fromDump.result.perInsnBytes[probe]!);
    expect(load.jit!.funcs.map((f) => f.start)).toEqual(load.verifier.subprogs.map((s) => s.start));
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
