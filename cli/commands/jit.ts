// `kmodel jit`: run a program through the modeled verifier and the x86-64 JIT and print the
// machine code, interleaved with the BPF instructions it came from.

import { type DisasmResolver, dumpedCallOffset } from '../../core/isa/disasm';
import { BPF_PSEUDO_CALL } from '../../core/isa/opcodes';
import { JitError } from '../../core/jit/x86/emit-ops';
import { type AddressSpace, BPF_CALL_BASE, x86_64AddressSpace } from '../../core/kernel/address-space';
import {
  isKernelProfileName,
  KERNEL_PROFILE_NAMES,
  type KernelProfile,
  kernelProfile,
} from '../../core/kernel/profiles';
import { bpfProgLoad, jitXlated, type XlatedJit } from '../../core/kernel/prog-load';
import { parseX86Config } from '../../core/kernel/x86-config';
import { hexImage, jitListing, type X86Syntax } from '../../main/host/x86-listing';
import { checkFlags, flagString, parseArgs } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { objectProgramArg } from '../object-load';
import { progAttachFromFlags } from '../prog-attach';
import { readProgramArg } from '../read-program';

/**
 * --profile NAME (kernel profile; default: the model's, else v6.18) with --config key=value,…
 * over its x86 build and mitigation axes.
 */
function chosenProfile(
  name: string | undefined,
  config: string | undefined,
  fallback?: KernelProfile,
): KernelProfile {
  if (name !== undefined && !isKernelProfileName(name))
    throw new CliError(`unknown --profile '${name}' (${KERNEL_PROFILE_NAMES.join(', ')})`);
  const base = name === undefined && fallback ? fallback : kernelProfile(name ?? 'v6.18', 'x86_64');
  if (config === undefined) return base;
  try {
    return { ...base, x86: parseX86Config(config, base.x86) };
  } catch (e) {
    throw new CliError(`--config: ${(e as Error).message}`);
  }
}

export const jit: Command = {
  async run(ctx) {
    const args = parseArgs(ctx.argv, ['bytes', 'xlated']);
    checkFlags(args, [
      'hex',
      'prog-type',
      'attach',
      'model',
      'syntax',
      'bytes',
      'xlated',
      'profile',
      'config',
      'program',
    ]);
    if (args.positional.length > 1) throw new CliError(`unexpected argument '${args.positional[1]}'`);
    // A BPF ELF object gives the program, its type (section), attach (struct_ops map) and maps.
    const fromObject = await objectProgramArg(args.positional[0], flagString(args, 'program'));
    const syntax = (flagString(args, 'syntax') ?? 'gas') as X86Syntax;
    if (syntax !== 'gas' && syntax !== 'intel')
      throw new CliError(`--syntax must be intel or gas, got '${syntax}'`);
    const insns = fromObject?.insns ?? readProgramArg(args.positional[0], flagString(args, 'hex'));
    if (insns.length === 0) throw new CliError('the program is empty');

    const profileName = flagString(args, 'profile');
    const config = flagString(args, 'config');
    let program = insns;
    let kernel: AddressSpace;
    let jitted: XlatedJit | undefined;
    try {
      if (args.flags.has('xlated')) {
        kernel = x86_64AddressSpace();
        jitted = jitXlated(program, kernel, chosenProfile(profileName, config).x86);
      } else {
        if (
          flagString(args, 'prog-type') === undefined &&
          flagString(args, 'model') === undefined &&
          fromObject?.progType === undefined
        )
          throw new CliError('--prog-type is required (or --xlated for an already-verified program)');
        const target = await progAttachFromFlags(args, fromObject, ctx);
        const profile = chosenProfile(profileName, config, target.env.profile);
        const maps = fromObject ? { maps: fromObject.maps } : {};
        if (fromObject?.progBtf) Object.assign(maps, { progBtf: fromObject.progBtf });
        const load = bpfProgLoad({ insns, ...target.attr, ...maps }, { ...target.env, profile });
        const vr = load.verifier;
        if (vr.verdict !== 'accept' || !vr.xlated) {
          ctx.stderr(vr.log);
          throw new CliError(
            `the verifier rejected the program (errno ${vr.errno}): ${vr.error ?? 'no reason line'}`,
          );
        }
        if (load.jitError !== undefined) throw new CliError(`JIT failed: ${load.jitError}`);
        program = vr.xlated;
        kernel = load.addressSpace;
        jitted = load.jit;
      }
    } catch (e) {
      if (e instanceof JitError) throw new CliError(`JIT failed: ${e.message}`);
      throw e;
    }
    if (!jitted) throw new CliError('the JIT did not run');
    const result = jitted.result;

    if (args.flags.has('bytes')) {
      ctx.stdout(hexImage(result.image));
      return 0;
    }
    const resolver: DisasmResolver = {
      callName: (insn) => {
        if (insn.src === BPF_PSEUDO_CALL) return dumpedCallOffset(insn);
        return kernel.symbolAt(BPF_CALL_BASE + BigInt(insn.imm | 0))?.name;
      },
    };
    const depths = jitted.funcs.map((f) => f.stackDepth).join(', ');
    ctx.stdout(`; x86-64 JIT: ${result.size} bytes, ${result.passes} passes, stack ${depths}\n`);
    ctx.stdout(
      jitListing(program, result, { syntax, resolver, funcStarts: jitted.funcs.map((f) => f.start) }),
    );
    return 0;
  },
};
