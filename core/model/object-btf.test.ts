// A model whose programs come from a BPF object with global functions and a bpf_loop
// callback (test/fixtures/objects/verifier/cc_funcs.*): they load with the object's BTF
// and func_info, as `kmodel verify OBJ.o --program NAME --model M` and libbpf load them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { objectBytes, referenceBtf } from '../../test/fixtures/objects/load';
import { BtfRegistry } from '../btf/registry';
import { insnsToHex } from '../isa/encoding';
import { bpfProgLoad } from '../kernel/prog-load';
import { kernelVersionOf } from '../object/externs';
import { logWithLineInfo } from '../object/log-linfo';
import { loadBpfObject } from '../object/object';
import { progBtfOf } from '../object/prog-btf';
import { bpfInsnPrepareDump } from '../verifier/fixups/dump';
import { assembleProgram } from './build';
import { type CheckResult, checkModel } from './check';
import { formatDiagnostic } from './load';
import { modelAttach, runModelPipeline, subprogStarts } from './pipeline';
import { modelVerifier } from './verify';

const FIXTURES = join(__dirname, '../../test/fixtures/objects/verifier');
const target = referenceBtf();
const registry = new BtfRegistry(target);
const readObject = (path: string) => new Uint8Array(readFileSync(join(FIXTURES, path)));
const withPrologue = readFileSync(join(FIXTURES, 'cc_funcs.yaml'), 'utf8');
const tcpCc = readFileSync(join(__dirname, '../../models/tcp_cc.yaml'), 'utf8');
/** The shipped tcp_cc (no prologue) with the object's struct_ops map as its one instance. */
const plain = `${tcpCc.slice(0, tcpCc.indexOf('\ninstances:'))}\ninstances:\n  - { object: build/cc_funcs.bpf.o, map: kfuncs_cc }\n`;

const check = (text: string) =>
  checkModel('cc_funcs.yaml', text, { btf: registry, verify: modelVerifier, readObject });
const obj = loadBpfObject(objectBytes('verifier/build/cc_funcs.bpf.o'), {
  target,
  kconfig: { kernelVersion: kernelVersionOf('6.18.44') },
});

interface KernelAnswer {
  object: string;
  program: string;
  level: 1 | 2;
  errno: number;
  log: string;
  xlated?: string;
}
const kernel = readFileSync(join(FIXTURES, 'kernel.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as KernelAnswer)
  .filter((k) => k.object === 'build/cc_funcs.bpf.o');
const kernelAnswer = (program: string, level: 1 | 2) =>
  kernel.find((k) => k.program === program && k.level === level)!;
/** The live kernel's vmlinux BTF has one type more before `struct sock` than the reference BTF. */
const sameIds = (log: string) => log.replace(/has btf_id \d+ type/g, 'has btf_id N type');

/** The model check path: the member program as the model holds it, through runModelPipeline. */
function memberRun(c: CheckResult, program: string, logLevel: 1 | 2) {
  const m = c.resolved!;
  const idx = m.programs.findIndex((p) => p.spec.name === program);
  const p = m.programs[idx]!;
  const insns = assembleProgram(m, { build: c.build!, as: c.as! }, idx);
  const run = runModelPipeline({
    check: c,
    base: target,
    member: p.member.name,
    insns,
    design: p.member.prologue?.design,
    profile: 'v6.18',
    doCheck: true,
    logLevel,
    ...(p.object?.progBtf ? { progBtf: p.object.progBtf } : {}),
  });
  return { run, insns, lineInfo: p.object?.lineInfo ?? [] };
}

/** `kmodel verify OBJ.o --program NAME --model M`: the object's program with the model's attach. */
function directLoad(c: CheckResult, program: string, logLevel: 1 | 2) {
  const p = obj.loaded.find((x) => x.name === program)!;
  const member = p.attach!.member;
  const rm = c.resolved!.members.find((x) => x.name === member)!;
  const a = modelAttach(c, target, member, rm.prologue?.design, 'v6.18');
  return bpfProgLoad({ insns: p.insns, ...a.attr, logLevel, progBtf: progBtfOf(obj, p)! }, a.env);
}

describe('model programs taken from an object keep its BTF and func_info', () => {
  const c = check(plain);

  it('`model check` passes: each member verified, fixed up and JITed, processed as Linux 6.18 did', () => {
    expect(c.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
    const mine = c.programs.filter((p) => p.name.startsWith('fn_'));
    expect(mine.map((p) => [p.name, p.member, p.verified])).toEqual([
      ['fn_ssthresh', 'ssthresh', 'ok'],
      ['fn_cong_avoid', 'cong_avoid', 'ok'],
      ['fn_undo_cwnd', 'undo_cwnd', 'ok'],
    ]);
    const processed = (log: string) => Number(/processed (\d+) insns/.exec(log)![1]);
    for (const p of mine) expect(p.processedInsns).toBe(processed(kernelAnswer(p.name, 1).log));
    expect(c.instances).toEqual([{ name: 'kfuncs_cc', error: null }]);
  });

  it("the text round trip keeps the object's insns, so func_info's offsets still hold", () => {
    for (const name of ['fn_ssthresh', 'fn_cong_avoid', 'fn_undo_cwnd']) {
      const { insns } = memberRun(c, name, 1);
      expect(insnsToHex(insns)).toBe(insnsToHex(obj.loaded.find((x) => x.name === name)!.insns));
    }
  });

  it("each member's log and xlated program are Linux 6.18's (level 1, with C lines)", () => {
    for (const name of ['fn_ssthresh', 'fn_cong_avoid', 'fn_undo_cwnd']) {
      const { run, lineInfo } = memberRun(c, name, 1);
      const k = kernelAnswer(name, 1);
      expect(sameIds(logWithLineInfo(run.log!, lineInfo))).toBe(sameIds(k.log));
      expect(
        insnsToHex(
          bpfInsnPrepareDump(
            run.fixups!.insns,
            run.fixups!.subprogs.map((s) => s.start),
          ),
        ),
      ).toBe(k.xlated);
    }
    // The global function is verified on its own; the kernel's summary line says so.
    expect(memberRun(c, 'fn_ssthresh', 1).run.log).toContain(
      "Func#1 ('cc_half') is safe for any args that match its prototype",
    );
  });

  it('level 2: the global function validated after the program, the callback walked in its frame', () => {
    const ss = memberRun(c, 'fn_ssthresh', 2).run.log!;
    expect(ss).toContain("Func#1 ('cc_half') is global and assumed valid.");
    expect(ss).toContain('Validating cc_half() func#1...');
    const ca = memberRun(c, 'fn_cong_avoid', 2).run.log!;
    // A void main program: its BTF is not a global function's (logged, made unreliable).
    expect(ca).toContain("Global function fn_cong_avoid() doesn't return scalar. Only those are supported.");
    expect(ca).toMatch(/R2=func\(\)/);
    expect(ca).toMatch(/frame1: R1=scalar\(\) R2=fp\[0\]-8 R10=fp0 cb/);
    // Everything before the first insn is the kernel's (func#N @start, live registers, that line).
    const prelude = (log: string) =>
      log.split('\n').slice(
        0,
        log.split('\n').findIndex((l) => /^0: /.test(l)),
      );
    for (const name of ['fn_ssthresh', 'fn_cong_avoid', 'fn_undo_cwnd'])
      expect(prelude(memberRun(c, name, 2).run.log!)).toEqual(prelude(kernelAnswer(name, 2).log));
  });

  it('agrees with `kmodel verify OBJ.o --program NAME --model M`: log, xlated and x86 bytes', () => {
    for (const name of ['fn_ssthresh', 'fn_cong_avoid', 'fn_undo_cwnd']) {
      const { run } = memberRun(c, name, 2);
      const d = directLoad(c, name, 2);
      expect(run.log).toBe(d.verifier.log);
      expect(insnsToHex(run.fixups!.insns)).toBe(insnsToHex(d.verifier.fixups!.insns));
      expect(Buffer.from(run.jit!.image).toString('hex')).toBe(
        Buffer.from(d.jit!.result.image).toString('hex'),
      );
    }
  });

  it('without the func_info (what the model path did before) the programs take other paths', () => {
    const bare = (name: string, member: string) =>
      runModelPipeline({
        check: c,
        base: target,
        member,
        insns: memberRun(c, name, 1).insns,
        design: undefined,
        profile: 'v6.18',
        doCheck: true,
      });
    // A callback's ld_imm64 needs func_info.
    const ca = bare('fn_cong_avoid', 'cong_avoid');
    expect([ca.ok, ca.error]).toEqual([false, 'missing btf func_info']);
    // A global function is walked as a static one, with its caller's arguments.
    const ss = bare('fn_ssthresh', 'ssthresh');
    expect(ss.ok).toBe(true);
    expect(ss.log).not.toContain('safe for any args');
  });
});

describe('a prologue moves the functions: func_info follows them (adjust_btf_func)', () => {
  const c = check(withPrologue);

  it('checks clean; cong_avoid gets the 5-insn prologue plus its insn 0', () => {
    expect(c.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
    expect(c.programs.map((p) => [p.name, p.verified])).toEqual([
      ['fn_ssthresh', 'ok'],
      ['fn_cong_avoid', 'ok'],
      ['fn_undo_cwnd', 'ok'],
    ]);
  });

  it("func_info after patching is each function's new start; the callback's ld_imm64 still reaches it", () => {
    const { run } = memberRun(c, 'fn_cong_avoid', 1);
    const p = obj.loaded.find((x) => x.name === 'fn_cong_avoid')!;
    // Unpatched: main at 0, grow_step at 15; the kernel inlines bpf_loop (+18) and the prologue adds 5.
    expect(p.funcInfo.map((f) => f.insnOff)).toEqual([0, 15]);
    expect(run.funcInfo!.map((f) => f.insnOff)).toEqual([0, 38]);
    expect(run.funcInfo!.map((f) => f.typeId)).toEqual(p.funcInfo.map((f) => f.typeId));
    expect(run.fixups!.subprogs.map((s) => s.start)).toEqual([0, 38]);
    // Without the prologue the same function sits at 33 (the kernel's own xlated program).
    expect(memberRun(check(plain), 'fn_cong_avoid', 1).run.funcInfo!.map((f) => f.insnOff)).toEqual([0, 33]);
  });

  it('the model path and `kmodel verify OBJ.o --model` agree with the prologue too', () => {
    for (const name of ['fn_ssthresh', 'fn_cong_avoid', 'fn_undo_cwnd']) {
      const { run } = memberRun(c, name, 2);
      const d = directLoad(c, name, 2);
      expect(run.log).toBe(d.verifier.log);
      expect(insnsToHex(run.fixups!.insns)).toBe(insnsToHex(d.verifier.fixups!.insns));
      expect(run.funcInfo).toEqual(d.verifier.funcInfo);
      expect(Buffer.from(run.jit!.image).toString('hex')).toBe(
        Buffer.from(d.jit!.result.image).toString('hex'),
      );
    }
  });
});

describe("the graph's patched listing (fixups without do_check) of a member with a callback", () => {
  it('splits the callback off as its own function, as the verifier does', () => {
    const c = check(plain);
    const { insns } = memberRun(c, 'fn_cong_avoid', 1);
    expect(subprogStarts(insns)).toEqual([0, 15]);
    const run = runModelPipeline({
      check: c,
      base: target,
      member: 'cong_avoid',
      insns,
      design: undefined,
      profile: 'v6.18',
    });
    expect(run.ok).toBe(true);
    expect(run.fixups!.subprogs.map((s) => s.start)).toEqual([0, 15]);
  });
});
