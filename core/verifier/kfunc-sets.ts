// btf_kfunc_id_set_contains for vmlinux kfuncs: the reference kernel's registered kfunc sets
// (core/btf's KfuncSetRegistry), built once per BTF registry.

import { type KfuncProg, registerLinux618KfuncSets } from '../btf/kfunc-sets-linux-6.18';
import type { BpfProgTypeName } from '../btf/kfuncs';
import { KfuncSetRegistry } from '../btf/kfuncs';
import type { BtfRegistry } from '../btf/registry';
import type { KfuncEnv } from './do-check';

const cache = new WeakMap<BtfRegistry, KfuncSetRegistry<KfuncProg>>();

/** The reference kernel's kfunc sets registered against `btf`'s vmlinux object. */
export function linux618KfuncSets(btf: BtfRegistry): KfuncSetRegistry<KfuncProg> {
  let k = cache.get(btf);
  if (!k) {
    k = new KfuncSetRegistry<KfuncProg>(btf);
    registerLinux618KfuncSets(k, btf.vmlinux.objId);
    cache.set(btf, k);
  }
  return k;
}

/**
 * The kfunc lookups do_check makes for a load of `progType`: allowed when the id is in a set
 * registered for the program's hook (or COMMON) and no filter on that hook hides it from the
 * program; flags are the KF_* it was registered with. `expectedAttachType` is what the
 * filters read (absent = 0, as a load without one passes).
 */
export function vmlinuxKfuncEnv(btf: BtfRegistry, progType: string, expectedAttachType?: string): KfuncEnv {
  const sets = linux618KfuncSets(btf);
  const objId = btf.vmlinux.objId;
  const prog: KfuncProg = {
    progType: progType as BpfProgTypeName,
    ...(expectedAttachType === undefined ? {} : { expectedAttachType }),
  };
  const flagsOf = (id: number) => sets.kfuncIdSetContains(prog.progType, objId, id, prog);
  return {
    btf: btf.vmlinux.btf,
    allowed: (_name, id) => flagsOf(id) !== undefined,
    flags: (_name, id) => flagsOf(id) ?? 0,
  };
}
