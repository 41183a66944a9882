// `kmodel jit`: run a program through the modeled verifier and the x86-64 JIT and print the
// machine code, interleaved with the BPF instructions it came from.

import { BtfRegistry } from '../../core/btf/registry';
import type { DisasmResolver } from '../../core/isa/disasm';
import { jitAddressSpaceOf } from '../../core/jit/x86/address-space';
import { mapImm64 } from '../../core/jit/x86/corpus-case';
import { JitError } from '../../core/jit/x86/emit-ops';
import { type JitResult, jitProgram, jitProgramFuncs } from '../../core/jit/x86/jit';
import { analyzeXlated } from '../../core/jit/xlated-input';
import { BPF_CALL_BASE, x86_64AddressSpace } from '../../core/kernel/address-space';
import { bpfCheck } from '../../core/verifier/index';
import type { ProgTypeName } from '../../core/verifier/progtypes/index';
import { loadReferenceVmlinuxBtf } from '../../main/host/btf-files';
import { hexImage, jitListing, type X86Syntax } from '../../main/host/x86-listing';
import { checkFlags, flagString, parseArgs } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { readProgramArg } from '../read-program';

const PROG_TYPES = ['socket_filter', 'sched_cls', 'xdp', 'struct_ops'];

export const jit: Command = {
  async run(ctx) {
    const args = parseArgs(ctx.argv, ['bytes', 'xlated']);
    checkFlags(args, ['hex', 'prog-type', 'attach', 'syntax', 'bytes', 'xlated']);
    if (args.positional.length > 1) throw new CliError(`unexpected argument '${args.positional[1]}'`);
    const syntax = (flagString(args, 'syntax') ?? 'gas') as X86Syntax;
    if (syntax !== 'gas' && syntax !== 'intel')
      throw new CliError(`--syntax must be intel or gas, got '${syntax}'`);
    const progType = flagString(args, 'prog-type');
    if (progType !== undefined && !PROG_TYPES.includes(progType)) {
      throw new CliError(`unknown --prog-type '${progType}' (${PROG_TYPES.join(', ')})`);
    }
    const attach = flagString(args, 'attach');
    if (attach !== undefined && !/^\w+:\w+$/.test(attach))
      throw new CliError(`--attach must be STRUCT:MEMBER, got '${attach}'`);
    const insns = readProgramArg(args.positional[0], flagString(args, 'hex'));
    if (insns.length === 0) throw new CliError('the program is empty');

    let program = insns;
    let stackDepths: number[] | undefined;
    if (!args.flags.has('xlated')) {
      if (progType === undefined)
        throw new CliError('--prog-type is required (or --xlated for an already-verified program)');
      const [struct, member] = attach?.split(':') ?? [];
      const btf = new BtfRegistry(await loadReferenceVmlinuxBtf());
      const vr = bpfCheck(
        {
          insns,
          progType: progType as ProgTypeName,
          attach: struct ? { struct, member: member ?? null } : null,
        },
        { btf },
      );
      if (vr.verdict !== 'accept' || !vr.xlated) {
        ctx.stderr(vr.log);
        throw new CliError(
          `the verifier rejected the program (errno ${vr.errno}): ${vr.error ?? 'no reason line'}`,
        );
      }
      program = vr.xlated;
      stackDepths = vr.subprogs.map((s) => s.stackDepth);
    }

    const kernel = x86_64AddressSpace();
    const as = jitAddressSpaceOf(kernel);
    const an = analyzeXlated(program);
    // A verifier run knows the stack depths; the xlated-only analysis derives them.
    if (stackDepths && stackDepths.length === an.funcs.length)
      for (const [k, f] of an.funcs.entries()) f.stackDepth = stackDepths[k]!;
    let result: JitResult;
    try {
      result =
        an.funcs.length === 1
          ? jitProgram(
              {
                insns: program,
                stackDepth: an.funcs[0]!.stackDepth,
                tailCallReachable: an.funcs[0]!.tailCallReachable,
                directTailCalls: an.directTailCalls,
                imm64: mapImm64(program),
              },
              as,
            )
          : jitProgramFuncs(
              {
                insns: program,
                subprogs: an.funcs.map((f) => ({ ...f })),
                directTailCalls: an.directTailCalls,
                imm64: mapImm64(program),
              },
              as,
            );
    } catch (e) {
      if (e instanceof JitError) throw new CliError(`JIT failed: ${e.message}`);
      throw e;
    }

    if (args.flags.has('bytes')) {
      ctx.stdout(hexImage(result.image));
      return 0;
    }
    const resolver: DisasmResolver = {
      callName: (insn) => {
        if (insn.src === 1) return insn.off < 0 ? `${insn.off}` : `+${insn.off}`;
        return kernel.symbolAt(BPF_CALL_BASE + BigInt(insn.imm | 0))?.name;
      },
    };
    const depths = an.funcs.map((f) => f.stackDepth).join(', ');
    ctx.stdout(`; x86-64 JIT: ${result.size} bytes, ${result.passes} passes, stack ${depths}\n`);
    ctx.stdout(jitListing(program, result, { syntax, resolver, funcStarts: an.funcs.map((f) => f.start) }));
    return 0;
  },
};
