// `kmodel btf kfuncs [--set HOOK] [--file FILE] [--base FILE]`: the kfuncs a BTF declares
// (bpf_kfunc decl tag), with the hooks and KF_* flags the reference kernel's sets register them with.
import {
  type BpfProgTypeName,
  BTF_KFUNC_HOOKS,
  type BtfKfuncHook,
  BtfRegistry,
  bpfProgTypeToKfuncHook,
  discoverKfuncs,
  KfuncSetRegistry,
  kfFlagsString,
  linux618KfuncFilters,
  registerLinux618KfuncSets,
  typeString,
} from '../../core/btf/index';
import { checkFlags, flagString, parseArgs } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { loadBtfArg } from './btf-load';

export const btfKfuncs: Command = {
  async run(ctx) {
    const args = parseArgs(ctx.argv);
    checkFlags(args, ['set', 'file', 'base']);
    if (args.positional.length) throw new CliError(`unexpected argument '${args.positional[0]}'`);
    const setArg = flagString(args, 'set');
    let hook: BtfKfuncHook | undefined;
    if (setArg !== undefined) {
      const up = setArg.toUpperCase();
      hook = (BTF_KFUNC_HOOKS as readonly string[]).includes(up)
        ? (up as BtfKfuncHook)
        : bpfProgTypeToKfuncHook(setArg.toLowerCase() as BpfProgTypeName);
      if (!hook)
        throw new CliError(`unknown --set '${setArg}' (hooks: ${BTF_KFUNC_HOOKS.join(', ').toLowerCase()})`);
    }
    const btf = await loadBtfArg(flagString(args, 'file'), flagString(args, 'base'));
    // Hooks come from the reference kernel's sets, resolved by name in the BTF at hand.
    const vmlinux = btf.base ?? btf;
    const reg = new BtfRegistry(vmlinux);
    const kreg = new KfuncSetRegistry(reg);
    registerLinux618KfuncSets(kreg);
    const kfuncs = discoverKfuncs(btf, 1).filter((k) => k.id >= btf.startId);
    let n = 0;
    for (const k of kfuncs) {
      const hooks = btf.base ? [] : kreg.hooksOf(1, k.id);
      if (hook && !hooks.includes(hook) && !hooks.includes('COMMON')) continue;
      const flags = hooks.length ? kfFlagsString(kreg.kfuncIdSetContains(hooks[0]!, 1, k.id) ?? 0) : '-';
      // A set filter narrows the hook to some programs (fs kfuncs: lsm on the tracing hook).
      const only = hooks.length ? linux618KfuncFilters(k.name).map((f) => ` (${f.only} only)`) : [];
      const where = hooks.length ? hooks.join(',').toLowerCase() + only.join('') : '-';
      ctx.stdout(`${k.id}\t${k.name}\t${where}\t${flags}\t${typeString(btf, k.proto)}\n`);
      n++;
    }
    if (n === 0) ctx.stderr('kmodel btf kfuncs: no kfuncs\n');
    return 0;
  },
};
