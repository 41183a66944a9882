import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../../btf/btf';
import { BtfRegistry } from '../../btf/registry';
import {
  BPF_ALU32_REG,
  BPF_ALU64_IMM,
  BPF_CALL_KFUNC,
  BPF_CALL_REL,
  BPF_EMIT_CALL,
  BPF_EXIT_INSN,
  BPF_JMP_A,
  BPF_JMP_IMM,
  BPF_LD_IMM64_RAW,
  BPF_LDX_MEM,
  BPF_MOV64_IMM,
  BPF_MOV64_REG,
  BPF_STX_MEM,
} from '../../isa/builders';
import { formatInsn } from '../../isa/disasm';
import type { Insn } from '../../isa/insn';
import { BPF_ADD, BPF_DW, BPF_JEQ, BPF_MOD, BPF_MUL, BPF_PSEUDO_KFUNC_CALL } from '../../isa/opcodes';
import { x86_64AddressSpace } from '../../kernel/address-space';
import { type ArchName, type KernelProfileName, kernelProfile } from '../../kernel/profiles';
import type { BpfVerifierOps, InsnAuxData } from '../ops';
import { bpfBaseFuncProto } from '../progtypes/func-protos';
import { verifierOpsFor } from '../progtypes/index';
import {
  adjustJmpOff,
  BPF_PROBE_MEM,
  bpfInsnPrepareDump,
  btfKfuncResolver,
  FixupError,
  type FixupInput,
  optHardWireDeadCodeBranches,
  optRemoveDeadCode,
  optRemoveNops,
  type ProgState,
  patchInsnData,
  removeInsns,
  runFixups,
} from '.';

const repoRoot = join(__dirname, '../../..');
const btf = new BtfRegistry(parseBtf(gunzipSync(readFileSync(join(repoRoot, 'assets/vmlinux.btf.gz')))));
const expected = JSON.parse(
  readFileSync(join(repoRoot, 'test/fixtures/fixups/pro_epilogue.json'), 'utf8'),
) as Record<string, string[]>;

const INC10_ID = 90001; // module BTF id of bpf_kfunc_st_ops_inc10 (fd_array slot 1)

/** bpf_testmod's st_ops verifier ops as a subsystem model supplies them (subsystems.md §4.2–4.3). */
function stOpsOps(member: string, epilogueExtra: Insn[] = []): BpfVerifierOps {
  const pro = member === 'test_prologue' || member === 'test_pro_epilogue';
  const epi = member === 'test_epilogue' || member === 'test_pro_epilogue';
  return {
    getFuncProto: bpfBaseFuncProto,
    isValidAccess: () => ({ regType: 'PTR_TO_BTF_ID', trusted: true }),
    genPrologue: (_dw, insn0) =>
      pro
        ? [
            BPF_LDX_MEM(BPF_DW, 6, 1, 0),
            BPF_LDX_MEM(BPF_DW, 7, 6, 0),
            BPF_ALU64_IMM(BPF_ADD, 7, 1000),
            BPF_STX_MEM(BPF_DW, 6, 7, 0),
            ...(insn0 ? [insn0] : []),
          ]
        : [],
    genEpilogue: (ctxStackOff) =>
      epi
        ? [
            BPF_LDX_MEM(BPF_DW, 1, 10, ctxStackOff),
            BPF_LDX_MEM(BPF_DW, 1, 1, 0),
            ...epilogueExtra,
            BPF_LDX_MEM(BPF_DW, 6, 1, 0),
            BPF_ALU64_IMM(BPF_ADD, 6, 10000),
            BPF_STX_MEM(BPF_DW, 1, 6, 0),
            BPF_MOV64_REG(0, 6),
            BPF_ALU64_IMM(BPF_MUL, 0, 2),
            BPF_EXIT_INSN(),
          ]
        : [],
  };
}

/** progs/pro_epilogue.c's main body: inc10 kfunc, then a static subprog adding 1. */
const mainBody = (): Insn[] => [
  BPF_LDX_MEM(BPF_DW, 1, 1, 0),
  BPF_MOV64_REG(6, 1),
  BPF_CALL_KFUNC(1, INC10_ID),
  BPF_MOV64_REG(1, 6),
  BPF_CALL_REL(1),
  BPF_EXIT_INSN(),
  // subprog(args): args->a += 1; return args->a
  BPF_LDX_MEM(BPF_DW, 0, 1, 0),
  BPF_ALU64_IMM(BPF_ADD, 0, 1),
  BPF_STX_MEM(BPF_DW, 1, 0, 0),
  BPF_EXIT_INSN(),
];

const seen = (n: number, extra: Record<number, Partial<InsnAuxData>> = {}): InsnAuxData[] =>
  Array.from({ length: n }, (_, i) => ({ seen: true, ...extra[i] }));

function input(ops: BpfVerifierOps, insns: Insn[], over: Partial<FixupInput> = {}): FixupInput {
  const as = x86_64AddressSpace();
  as.addModule('bpf_testmod', [{ name: 'bpf_kfunc_st_ops_inc10' }, { name: 'bpf_testmod_epilogue_wrapper' }]);
  return {
    insns,
    aux: seen(insns.length, { 0: { ptrType: 'PTR_TO_CTX' }, 6: { ptrType: 'PTR_TO_BTF_ID' } }),
    subprogs: [
      { start: 0, stackDepth: 0 },
      { start: 6, stackDepth: 0 },
    ],
    ops,
    progType: 'struct_ops',
    seenDirectWrite: false,
    maps: [],
    btf,
    addressSpace: as,
    kfuncResolver: (id, off) => (id === INC10_ID && off === 1 ? 'bpf_kfunc_st_ops_inc10' : undefined),
    ...over,
  };
}

/** Verifier-log text of each insn, the way the selftests' __xlated lines spell it. */
const text = (insns: Insn[]): string[] =>
  insns.map(
    (_, i) =>
      `${i}: ${formatInsn(insns, i, {
        callName: (x) => (x.src === 1 ? `${x.imm >= 0 ? '+' : ''}${x.imm}` : undefined),
      })
        .replace(/^\([0-9a-f]{2}\) /, '')
        .replace(/kernel-function#\d+/, 'kernel-function')}`,
  );

const matches = (got: string[], want: string[]) => {
  expect(got.length).toBeGreaterThanOrEqual(want.length);
  for (const [i, w] of want.entries()) expect(got[i]!.startsWith(w), `${got[i]} vs ${w}`).toBe(true);
};

describe('struct_ops prologue/epilogue insertion (bpf_testmod st_ops selftests)', () => {
  for (const member of ['test_prologue', 'test_epilogue', 'test_pro_epilogue']) {
    it(`${member} gives the selftest's xlated program`, () => {
      const inp = input(stOpsOps(member), mainBody());
      const out = runFixups(inp);
      matches(text(out.insns), expected[member]!);
      // The kfunc call resolves to the module function (no far calls on x86-64).
      const call = out.insns.find((i) => i.src === BPF_PSEUDO_KFUNC_CALL)!;
      expect(inp.addressSpace!.symbolForImm(call.imm)?.name).toBe('bpf_kfunc_st_ops_inc10');
      expect(out.kfuncDescs.map((d) => d.name)).toEqual(['bpf_kfunc_st_ops_inc10']);
      // Loads through the args pointer become PROBE_MEM; the dump shows plain loads again.
      const isProbe = (i: Insn) => (i.code & 7) === 1 && (i.code & 0xe0) === BPF_PROBE_MEM;
      const probe = out.insns.filter(isProbe);
      expect(probe.length).toBe(1);
      expect(bpfInsnPrepareDump(out.insns).some(isProbe)).toBe(false);
    });
  }

  it('test_epilogue grows the main stack by the ctx slot and keeps the subprog exit', () => {
    const out = runFixups(input(stOpsOps('test_epilogue'), mainBody()));
    expect(out.stackDepth).toBe(8);
    expect(out.subprogs[1]!.start).toBe(14);
    expect(out.insns.at(-1)).toEqual(BPF_EXIT_INSN());
    expect(out.prologueLen).toBe(1);
  });

  it('tags generated insns with their origin', () => {
    const out = runFixups(input(stOpsOps('test_pro_epilogue'), mainBody()));
    const o = out.aux.map((a) => a.origin ?? '-');
    expect(o.slice(0, 18)).toEqual([
      ...Array(4).fill('prologue'),
      'ctx-save',
      ...Array(5).fill('-'),
      ...Array(8).fill('epilogue'),
    ]);
  });

  it('a jump to the first insn lands on the original first insn, not the prologue', () => {
    const prog = [
      BPF_JMP_IMM(BPF_JEQ, 1, 0, 5),
      BPF_JMP_IMM(BPF_JEQ, 1, 1, 2),
      BPF_MOV64_IMM(1, 1),
      BPF_JMP_A(-3),
      BPF_MOV64_IMM(1, 0),
      BPF_JMP_A(-6),
      BPF_MOV64_IMM(0, 0),
      BPF_EXIT_INSN(),
    ];
    const out = runFixups(
      input(stOpsOps('test_prologue'), prog, {
        aux: seen(prog.length),
        subprogs: [{ start: 0, stackDepth: 0 }],
      }),
    );
    matches(text(out.insns), expected.test_prologue_goto_start!);
  });

  it('every later main-program exit becomes a gotol back to the single epilogue copy', () => {
    const prog = [
      BPF_JMP_IMM(BPF_JEQ, 1, 0, 2),
      BPF_MOV64_IMM(0, 1),
      BPF_EXIT_INSN(),
      BPF_MOV64_IMM(0, 2),
      BPF_EXIT_INSN(),
      BPF_CALL_REL(1),
      BPF_EXIT_INSN(),
      BPF_MOV64_IMM(0, 3), // subprog
      BPF_EXIT_INSN(),
    ];
    const out = runFixups(
      input(stOpsOps('test_epilogue'), prog, {
        aux: seen(prog.length),
        subprogs: [
          { start: 0, stackDepth: 16 },
          { start: 7, stackDepth: 0 },
        ],
      }),
    );
    const t = text(out.insns);
    expect(t[0]).toBe('0: *(u64 *)(r10 -24) = r1');
    expect(t[3]).toBe('3: r1 = *(u64 *)(r10 -24)'); // first exit → epilogue copy at 3..10
    expect(t[10]).toBe('10: exit');
    expect(t[12]).toBe('12: gotol pc-10'); // → 3
    expect(t[14]).toBe('14: gotol pc-12'); // → 3
    expect(t.slice(15)).toEqual(['15: r0 = 3', '16: exit']);
    expect(t[1]).toBe('1: if r1 == 0x0 goto pc+9'); // over the epilogue copy to the second path (11)
  });
});

describe('calls in generated code per kernel profile', () => {
  const run = (profile: KernelProfileName, extra: Insn[], arch: ArchName = 'x86_64') => {
    const inp = input(stOpsOps('test_epilogue', extra), mainBody(), {
      profile: kernelProfile(profile, arch),
    });
    inp.addressSpace!.addVmlinuxText('bpf_cgroup_release', 1_200_000);
    const vmlinuxKfunc = btf.vmlinux.btf.findByName('bpf_cgroup_release', 'FUNC')!;
    inp.kfuncResolver = (id, off) =>
      id === INC10_ID && off === 1
        ? 'bpf_kfunc_st_ops_inc10'
        : off === 0 && id === vmlinuxKfunc
          ? 'bpf_cgroup_release'
          : undefined;
    return { inp, vmlinuxKfunc };
  };
  const kfuncInEpilogue = (id: number) => [BPF_CALL_KFUNC(0, id)];

  it('v6.18: a kfunc in the epilogue gets a descriptor (add_kfunc_in_insns) and a final imm', () => {
    const { vmlinuxKfunc } = run('v6.18', []);
    const r = run('v6.18', kfuncInEpilogue(vmlinuxKfunc));
    const out = runFixups(r.inp);
    expect(out.kfuncDescs.map((d) => d.name).sort()).toEqual([
      'bpf_cgroup_release',
      'bpf_kfunc_st_ops_inc10',
    ]);
    const call = out.insns.find((i) => i.src === BPF_PSEUDO_KFUNC_CALL && i.off === 0)!;
    expect(r.inp.addressSpace!.symbolForImm(call.imm)?.name).toBe('bpf_cgroup_release');
  });

  it('v6.12 and bpf-next 2026: the same kfunc has no descriptor', () => {
    for (const p of ['v6.12', 'bpf-next-2026'] as const) {
      const { inp, vmlinuxKfunc } = run(p, []);
      const epi = stOpsOps('test_epilogue', kfuncInEpilogue(vmlinuxKfunc));
      expect(() => runFixups({ ...inp, ops: epi })).toThrowError(
        `verifier internal error: kernel function descriptor not found for func_id ${vmlinuxKfunc}`,
      );
    }
  });

  it('far-kfunc architectures keep the BTF id in imm', () => {
    const r = run('v6.18', [], 's390');
    const out = runFixups(r.inp);
    expect(out.insns.find((i) => i.src === BPF_PSEUDO_KFUNC_CALL)!.imm).toBe(INC10_ID);
  });

  it('BPF_EMIT_CALL of a BPF_CALL_x wrapper: finalized in 2026, taken for a helper id before', () => {
    const wrapperCall = (as: ReturnType<typeof x86_64AddressSpace>) => [
      BPF_EMIT_CALL(as.callImm('bpf_testmod_epilogue_wrapper')),
    ];
    const next = run('bpf-next-2026', []);
    const out = runFixups({
      ...next.inp,
      ops: stOpsOps('test_epilogue', wrapperCall(next.inp.addressSpace!)),
    });
    const call = out.insns.find((i, k) => i.code === 0x85 && i.src === 0 && out.aux[k]!.finalizedCall)!;
    expect(next.inp.addressSpace!.symbolForImm(call.imm)?.name).toBe('bpf_testmod_epilogue_wrapper');

    const old = run('v6.18', []);
    expect(() =>
      runFixups({ ...old.inp, ops: stOpsOps('test_epilogue', wrapperCall(old.inp.addressSpace!)) }),
    ).toThrow(FixupError);
  });

  it('refuses a prologue of INSN_BUF_SIZE insns', () => {
    const ops: BpfVerifierOps = {
      ...stOpsOps('test_prologue'),
      genPrologue: () => Array.from({ length: 16 }, () => BPF_MOV64_IMM(0, 0)),
    };
    expect(() => runFixups(input(ops, mainBody()))).toThrowError('verifier bug: prologue is too long');
  });
});

describe('patching primitives', () => {
  const state = (insns: Insn[]): ProgState => ({
    insns,
    aux: insns.map(() => ({ seen: true })),
    subprogs: [{ start: 0, stackDepth: 0 }],
  });

  it('bpf_patch_insn_data moves jumps across the patch and the aux to its last slot', () => {
    const s = state([BPF_JMP_A(2), BPF_MOV64_IMM(0, 1), BPF_MOV64_IMM(0, 2), BPF_JMP_A(-3), BPF_EXIT_INSN()]);
    s.aux[1] = { seen: true, ctxFieldSize: 4 };
    patchInsnData(s, 1, [BPF_MOV64_IMM(2, 0), BPF_MOV64_IMM(3, 0), BPF_MOV64_IMM(0, 1)]);
    expect(s.insns[0]!.off).toBe(4); // still → the backward goto, now at 5
    expect(s.insns[5]!.off).toBe(-5); // a jump to the patched insn lands on the patch start
    expect(s.aux[3]).toEqual({ seen: true, ctxFieldSize: 4 });
    expect(s.aux[1]).toEqual({ seen: true });
  });

  it('adjust_jmp_off only moves jumps outside the inserted range that target it', () => {
    const insns = [BPF_MOV64_IMM(0, 0), BPF_JMP_A(-2), BPF_JMP_A(-3), BPF_JMP_A(-3)];
    adjustJmpOff(insns, 0, 2);
    expect(insns[1]!.off).toBe(-2); // inside the inserted range: kept
    expect(insns[2]!.off).toBe(-1); // targeted insn 0: now insn 2
    expect(insns[3]!.off).toBe(-3); // targeted insn 1: kept
  });

  it('removing a whole subprogram drops it; later subprograms move back', () => {
    const s = state(Array.from({ length: 8 }, () => BPF_MOV64_IMM(0, 0)));
    s.subprogs = [
      { start: 0, stackDepth: 8 },
      { start: 4, stackDepth: 16 },
      { start: 6, stackDepth: 24 },
    ];
    removeInsns(s, 4, 2);
    expect(s.subprogs).toEqual([
      { start: 0, stackDepth: 8 },
      { start: 4, stackDepth: 24 },
    ]);
    removeInsns(s, 4, 1); // the front of the last subprogram
    expect(s.subprogs.map((p) => p.start)).toEqual([0, 4]);
    expect(s.insns.length).toBe(5);
  });

  it('dead branches are hard-wired, dead insns removed, and goto +0 dropped', () => {
    const s = state([
      BPF_JMP_IMM(BPF_JEQ, 1, 0, 1),
      BPF_MOV64_IMM(0, 1), // never reached
      BPF_MOV64_IMM(0, 2),
      BPF_EXIT_INSN(),
    ]);
    s.aux[1]!.seen = false;
    optHardWireDeadCodeBranches(s);
    expect(s.insns[0]).toEqual(BPF_JMP_A(1));
    optRemoveDeadCode(s);
    expect(s.insns[0]).toEqual(BPF_JMP_A(0));
    optRemoveNops(s);
    expect(s.insns).toEqual([BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN()]);
  });
});

describe('division guards', () => {
  it('32-bit modulo by a register keeps the dividend zero-extended', () => {
    const mod32 = { code: 0x04 | BPF_MOD | 0x08, dst: 0, src: 1, off: 0, imm: 0 };
    const out = runFixups({
      insns: [mod32, BPF_EXIT_INSN()],
      aux: seen(2),
      subprogs: [],
      ops: { getFuncProto: bpfBaseFuncProto, isValidAccess: () => undefined },
      progType: 'socket_filter',
      seenDirectWrite: false,
      maps: [],
      btf,
    });
    expect(out.insns).toEqual([
      { code: 0x16, dst: 1, src: 0, off: 2, imm: 0 },
      mod32,
      BPF_JMP_A(1),
      BPF_ALU32_REG(0xb0, 0, 0),
      BPF_EXIT_INSN(),
    ]);
  });
});

describe('kfunc resolution through BTF', () => {
  it('names vmlinux kfuncs by BTF id and refuses unknown module slots', () => {
    const r = btfKfuncResolver(btf);
    const id = btf.vmlinux.btf.findByName('tcp_reno_ssthresh', 'FUNC')!;
    expect(r(id, 0)).toBe('tcp_reno_ssthresh');
    expect(r(id, 1)).toBeUndefined();
    const notFunc = btf.vmlinux.btf.findByName('sock', 'STRUCT')!;
    expect(r(notFunc, 0)).toBeUndefined();
  });
});

describe('do_misc_fixups helper rewrites', () => {
  const prog = (call: Insn): Insn[] => [
    BPF_LD_IMM64_RAW(1, 5, 0)[0],
    BPF_LD_IMM64_RAW(1, 5, 0)[1],
    BPF_MOV64_IMM(3, 2),
    call,
    BPF_EXIT_INSN(),
  ];
  const fix = (
    insns: Insn[],
    aux: Record<number, Partial<InsnAuxData>>,
    maps: FixupInput['maps'],
    arch: ArchName = 'x86_64',
  ) =>
    runFixups({
      insns,
      aux: seen(insns.length, aux),
      subprogs: [],
      ops: tcOps,
      progType: 'sched_cls',
      seenDirectWrite: false,
      maps,
      btf,
      profile: kernelProfile('v6.18', arch),
    });
  const tcOps = verifierOpsFor('sched_cls', { btf });
  const as = x86_64AddressSpace();
  const progArray = [{ type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4 }];

  it('a tail call with a constant key gets a poke descriptor and dumps as call 12', () => {
    const out = fix(prog(BPF_EMIT_CALL(12)), { 3: { mapIndex: 0, mapKeyConst: 2 } }, progArray);
    expect(out.insns[3]).toEqual({ code: 0x85 | 0x70, dst: 0, src: 0, off: 0, imm: 1 });
    expect(out.pokeDescs).toEqual([{ insnIdx: 3, mapIndex: 0, key: 2 }]);
    expect(bpfInsnPrepareDump(out.insns)[3]).toEqual(BPF_EMIT_CALL(12));
    expect(bpfInsnPrepareDump(out.insns)[0]!.src).toBe(1); // BPF_PSEUDO_MAP_FD in the dump
    const varying = fix(prog(BPF_EMIT_CALL(12)), { 3: { mapIndex: 0 } }, progArray);
    expect(varying.insns[3]!.imm).toBe(0);
    expect(varying.pokeDescs).toEqual([]);
  });

  it('map update and delete call the map type implementation directly', () => {
    const hash = [{ type: 'hash', keySize: 4, valueSize: 8, maxEntries: 16 }];
    const upd = fix(prog(BPF_EMIT_CALL(2)), { 3: { mapIndex: 0 } }, hash);
    expect(as.symbolForImm(upd.insns[3]!.imm)?.name).toBe('htab_map_update_elem');
    const del = fix(prog(BPF_EMIT_CALL(3)), { 3: { mapIndex: 0 } }, hash);
    expect(as.symbolForImm(del.insns[3]!.imm)?.name).toBe('htab_map_delete_elem');
    // different maps at one call site: no direct call, the generic helper
    const poisoned = fix(prog(BPF_EMIT_CALL(2)), { 3: { mapIndex: 0, mapPtrPoisoned: true } }, hash);
    expect(as.symbolForImm(poisoned.insns[3]!.imm)?.name).toBe('bpf_map_update_elem');
  });

  it('get_smp_processor_id is inlined on x86-64 as a per-CPU load, called elsewhere', () => {
    const x86 = fix([BPF_EMIT_CALL(8), BPF_EXIT_INSN()], {}, []);
    expect(x86.insns.map((i) => [i.code, i.off])).toEqual([
      [0xb7, 0],
      [0xbf, -1],
      [0x61, 0],
      [0x95, 0],
    ]);
    expect(BigInt.asUintN(32, BigInt(x86.insns[0]!.imm))).toBe(BigInt.asUintN(32, as.addr('cpu_number')));
    const arm = fix([BPF_EMIT_CALL(8), BPF_EXIT_INSN()], {}, [], 'arm64');
    expect(as.symbolForImm(arm.insns[0]!.imm)?.name).toBe('bpf_get_smp_processor_id');
  });
});
