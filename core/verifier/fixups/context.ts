// What the fixup passes read besides the program itself: the program type's ops,
// the kernel profile and address space, the maps, the kfunc descriptor table.

import type { AddressSpace } from '../../kernel/address-space';
import type { KernelProfile } from '../../kernel/profiles';
import type { BpfVerifierOps } from '../ops';
import type { KernelLayout } from '../progtypes/layout';
import type { KfuncDescTab } from './kfunc';

export interface MapDesc {
  type: 'array' | 'hash' | 'prog_array' | string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
}

/** struct bpf_jit_poke_descriptor for a direct tail call. */
export interface PokeDesc {
  insnIdx: number;
  mapIndex: number;
  key: number;
}

export interface FixupContext {
  ops: BpfVerifierOps;
  progType: string;
  profile: KernelProfile;
  as: AddressSpace;
  maps: readonly MapDesc[];
  kfuncTab: KfuncDescTab;
  /** env->seen_direct_write. */
  seenDirectWrite: boolean;
  /** Layouts of bpf_array / htab_elem for the inlined map lookups. */
  layout: KernelLayout;
  /** env->bpf_capable (privileged dead-code removal, direct tail calls). */
  bpfCapable: boolean;
  /** Filled by do_misc_fixups. */
  pokeDescs: PokeDesc[];
}
