// `kmodel verify`: run the verifier model on one program; print the log and the xlated program.
import { disasmProgram, dumpedCallOffset } from '../../core/isa/disasm';
import { BPF_PSEUDO_CALL } from '../../core/isa/opcodes';
import { bpfProgLoad } from '../../core/kernel/prog-load';
import { logWithLineInfo } from '../../core/object/log-linfo';
import type { MapDef, VerifierProgress, VerifierProgressSink } from '../../core/verifier/index';
import { checkFlags, flagString, parseArgs } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { objectProgramArg } from '../object-load';
import { progAttachFromFlags } from '../prog-attach';
import { readProgramArg } from '../read-program';
import { printStateAt } from './verify-state-at';

const MAP_TYPES = ['array', 'hash', 'prog_array'];

const count = (n: number) => n.toLocaleString('en-US');

/**
 * Progress on a terminal's stderr: one line rewritten in place at most every 200 ms while the
 * verifier runs (the first report comes after 8192 processed insns), erased by `done`.
 */
export function terminalProgress(write: (t: string) => void): VerifierProgressSink & { done(): void } {
  let last = Number.NEGATIVE_INFINITY;
  let shown = false;
  return {
    report(p: VerifierProgress) {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      shown = true;
      write(
        `\r\x1b[Kverifying: ${count(p.processed)} of ${count(p.limit)} insns processed, ${count(p.states)} states, at insn ${p.insn}`,
      );
    },
    done() {
      if (shown) write('\r\x1b[K');
    },
  };
}

/** `array:4:8:1` = type:key_size:value_size:max_entries. */
export function parseMapSpec(spec: string): MapDef {
  const [type, k, v, n] = spec.split(':');
  const nums = [k, v, n].map((x) => Number(x));
  if (!type || !MAP_TYPES.includes(type) || nums.some((x) => !Number.isInteger(x) || x <= 0)) {
    throw new CliError(
      `bad --map '${spec}' (want TYPE:KEY_SIZE:VALUE_SIZE:MAX_ENTRIES, TYPE = ${MAP_TYPES.join('|')})`,
    );
  }
  return { type: type as MapDef['type'], keySize: nums[0]!, valueSize: nums[1]!, maxEntries: nums[2]! };
}

export const verify: Command = {
  async run(ctx) {
    // --map may repeat: collect it before the generic parser keeps only the last one.
    const maps: MapDef[] = [];
    const argv: string[] = [];
    for (let i = 0; i < ctx.argv.length; i++) {
      const a = ctx.argv[i]!;
      if (a === '--map') {
        const v = ctx.argv[++i];
        if (v === undefined) throw new CliError('option --map needs a value');
        maps.push(parseMapSpec(v));
      } else if (a.startsWith('--map=')) maps.push(parseMapSpec(a.slice(6)));
      else argv.push(a);
    }
    const args = parseArgs(argv);
    checkFlags(args, ['hex', 'prog-type', 'attach', 'log-level', 'model', 'program', 'state-at', 'format']);
    if (args.positional.length > 1) throw new CliError(`unexpected argument '${args.positional[1]}'`);
    // A BPF ELF object gives the program, its type (section), attach (struct_ops map) and maps.
    const fromObject = await objectProgramArg(args.positional[0], flagString(args, 'program'));
    if (fromObject) maps.unshift(...fromObject.maps);
    const levelStr = flagString(args, 'log-level') ?? '1';
    // 0 as bpf(2): no log is built, only the verdict (and the xlated program) print.
    if (!['0', '1', '2'].includes(levelStr)) throw new CliError('--log-level must be 0, 1 or 2');
    const target = await progAttachFromFlags(args, fromObject, ctx);
    const insns = fromObject?.insns ?? readProgramArg(args.positional[0], flagString(args, 'hex'));
    const progBtf = fromObject?.progBtf ? { progBtf: fromObject.progBtf } : {};
    const stateAt = flagString(args, 'state-at');
    if (stateAt !== undefined) {
      return printStateAt(
        ctx,
        { insns, ...target.attr, maps, ...progBtf },
        target.env,
        stateAt,
        flagString(args, 'format'),
      );
    }
    if (flagString(args, 'format') !== undefined) throw new CliError('--format goes with --state-at');
    const progress = ctx.stderrIsTTY ? terminalProgress(ctx.stderr) : undefined;
    let r: ReturnType<typeof bpfProgLoad>['verifier'];
    try {
      r = bpfProgLoad(
        { insns, ...target.attr, maps, ...progBtf, logLevel: Number(levelStr) as 0 | 1 | 2 },
        progress ? { ...target.env, progress } : target.env,
        { jit: false },
      ).verifier;
    } finally {
      progress?.done();
    }
    // An object's program: its C lines in the log, as the kernel prints them with line_info.
    const log = fromObject ? logWithLineInfo(r.log, fromObject.lineInfo) : r.log;
    if (log) ctx.stdout(log.endsWith('\n') ? log : `${log}\n`);
    if (r.verdict === 'reject') {
      ctx.stdout(`verdict: reject (errno ${r.errno})\n`);
      return 1;
    }
    ctx.stdout('verdict: accept\n');
    if (r.xlated) {
      const calls = new Map(r.xlatedCalls.map((c) => [c.insn, c.symbol]));
      const lines = disasmProgram(r.xlated, {
        callName: (insn, idx) =>
          insn.src === BPF_PSEUDO_CALL ? dumpedCallOffset(insn) : (calls.get(idx) ?? undefined),
        allowPtrLeaks: true,
      });
      ctx.stdout(`xlated (${r.xlated.length} insns):\n${lines.join('\n')}\n`);
    }
    return 0;
  },
};
