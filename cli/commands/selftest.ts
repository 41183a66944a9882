// `kmodel selftest OBJ.o [--program NAME]`: the kernel selftests' annotations of each
// program (BTF decl tags, core/object/selftest-tags.ts) checked against kmodel's
// verifier as the kernel's test_loader checks them against the kernel: the load
// outcome, log messages in order, xlated lines, and __retval from a test run.
import { disasmProgram, dumpedCallOffset } from '../../core/isa/disasm';
import { BPF_PSEUDO_CALL } from '../../core/isa/opcodes';
import { TestRunProgram, testRunSupported } from '../../core/isa/testrun';
import { bpfProgLoad } from '../../core/kernel/prog-load';
import {
  firstUnmatched,
  firstUnmatchedLine,
  type SelftestSpec,
  selftestSpecs,
} from '../../core/object/selftest-tags';
import type { BpfObject, LoadedProgram } from '../../core/object/types';
import { xlatedKernel } from '../../core/verifier/corpus';
import { checkFlags, flagString, parseArgs } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { loadedProgramArg, loadObjectOrFail, programOrFail } from '../object-load';
import { progAttach } from '../prog-attach';
import { referenceRegistry } from './model-load';

/** test_loader's input for runs: TEST_DATA_LEN zero bytes. */
const TEST_DATA_LEN = 64;
/** Flags kmodel loads with; others make the test a skip, not a guess. */
const MODELLED_FLAGS = ['BPF_F_SLEEPABLE'];

export interface SelftestOutcome {
  program: string;
  status: 'pass' | 'fail' | 'skip';
  /** The first mismatch (fail) or why it did not run (skip). */
  why?: string;
}

function parseRetval(text: string): number | undefined {
  const n = Number(text);
  return Number.isInteger(n) ? n | 0 : undefined;
}

export async function runSelftest(
  file: string,
  p: LoadedProgram,
  spec: SelftestSpec,
  obj?: BpfObject,
): Promise<SelftestOutcome> {
  const skip = (why: string): SelftestOutcome => ({ program: p.name, status: 'skip', why });
  const fail = (why: string): SelftestOutcome => ({ program: p.name, status: 'fail', why });
  const flags = spec.flags.filter((f) => !MODELLED_FLAGS.includes(f));
  if (flags.length) return skip(`flags not modelled: ${flags.join(', ')}`);
  if (spec.unmodelled.length) return skip(`annotations not modelled: ${spec.unmodelled.join(', ')}`);
  const arg = loadedProgramArg(file, p, obj);
  const target = await progAttach({
    progType: arg.progType,
    attach: arg.attach,
    model: undefined,
    btf: referenceRegistry(),
  });
  // Messages need a log: level 1 unless the test asks for more.
  const logLevel = Math.max(spec.logLevel ?? 0, spec.msgs.length ? 1 : 0) as 0 | 1 | 2;
  const sleepable = p.sleepable || spec.flags.includes('BPF_F_SLEEPABLE');
  const r = bpfProgLoad(
    {
      insns: arg.insns,
      ...target.attr,
      maps: arg.maps,
      logLevel,
      ...(sleepable ? { sleepable } : {}),
      ...(arg.progBtf ? { progBtf: arg.progBtf } : {}),
    },
    target.env,
    { jit: false },
  ).verifier;
  const reason = r.log.trim().split('\n').at(-2) ?? '';
  if (spec.expect === 'success' && r.verdict === 'reject')
    return fail(`rejected, expected success: ${reason || `errno ${r.errno}`}`);
  if (spec.expect === 'failure' && r.verdict === 'accept') return fail('accepted, expected failure');
  const msg = firstUnmatched(r.log, spec.msgs);
  if (msg !== null) return fail(`no log message '${msg}' (in order)`);
  if (spec.xlated.length) {
    if (!r.xlated) return fail('no xlated program to match __xlated against');
    const calls = new Map(r.xlatedCalls.map((c) => [c.insn, c.symbol]));
    // test_loader's dump: `N: insn`, without the opcode the verifier log shows.
    const lines = disasmProgram(r.xlated, {
      callName: (insn, idx) =>
        insn.src === BPF_PSEUDO_CALL ? dumpedCallOffset(insn) : (calls.get(idx) ?? undefined),
    }).map((l) => l.replace(/^(\d+): \([0-9a-f]{2}\) /, '$1: '));
    const x = firstUnmatchedLine(lines, spec.xlated);
    if (x !== null) return fail(`no xlated line '${x}' (in order)`);
  }
  if (spec.retval !== undefined && r.verdict === 'accept') {
    const want = parseRetval(spec.retval);
    if (want === undefined) return skip(`__retval(${spec.retval}) is not a number`);
    const progType = arg.progType ?? '';
    // kmodel's own xlated program runs, so the fixups are tested too; the loaded one only
    // when the test-run model cannot run that form.
    const kernel = xlatedKernel(target.env);
    const xlated =
      r.fixups && testRunSupported(progType, r.fixups.insns, arg.maps, kernel) ? r.fixups : undefined;
    if (!xlated && !testRunSupported(progType, arg.insns, arg.maps))
      return skip(`test run of ${progType || 'this program'} not modelled`);
    let got: number;
    try {
      const prog = xlated
        ? new TestRunProgram(progType, xlated.insns, arg.maps, undefined, undefined, kernel)
        : new TestRunProgram(progType, arg.insns, arg.maps);
      got = prog.run(new Uint8Array(TEST_DATA_LEN)).retval | 0;
    } catch (e) {
      return fail(`test run faulted: ${(e as Error).message}`);
    }
    if (got !== want) return fail(`retval ${got}, expected ${want}`);
  }
  return { program: p.name, status: 'pass' };
}

export const selftest: Command = {
  async run(ctx) {
    const args = parseArgs(ctx.argv);
    checkFlags(args, ['program']);
    const file = args.positional[0];
    if (file === undefined || args.positional.length > 1)
      throw new CliError('usage: kmodel selftest OBJ.o [--program NAME]');
    const { obj } = await loadObjectOrFail(file);
    if (!obj.btf) throw new CliError(`${file}: no .BTF section, so no test annotations`);
    const specs = selftestSpecs(obj.btf);
    const name = flagString(args, 'program');
    const programs = name !== undefined ? [programOrFail(obj, file, name)] : obj.loaded;
    const tests = programs.filter((p) => specs.has(p.name) && !specs.get(p.name)!.auxiliary);
    if (!tests.length) throw new CliError(`${file}: no annotated programs${name ? ` named '${name}'` : ''}`);
    const count = { pass: 0, fail: 0, skip: 0 };
    for (const p of tests) {
      const spec = specs.get(p.name)!;
      const o = await runSelftest(file, p, spec, obj);
      count[o.status]++;
      const desc = spec.description ? ` (${spec.description})` : '';
      ctx.stdout(`${o.status.toUpperCase()} ${p.name}${desc}${o.why ? `: ${o.why}` : ''}\n`);
    }
    ctx.stdout(`${count.pass} passed, ${count.fail} failed, ${count.skip} skipped\n`);
    return count.fail ? 1 : 0;
  },
};
