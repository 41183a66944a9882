// The reference vmlinux BTF as a registry, parsed once per process. Apart from
// model-load.ts so that commands which need only the BTF (verify, jit without a
// model) do not load the model checker (zod, yaml) with it.
import { BtfRegistry } from '../core/btf/registry';
import { loadReferenceVmlinuxBtfSync } from '../main/host/btf-files';

let registry: BtfRegistry | undefined;

/** The reference vmlinux BTF as a registry (parsed once per process). */
export function referenceRegistry(): BtfRegistry {
  if (!registry) registry = new BtfRegistry(loadReferenceVmlinuxBtfSync());
  return registry;
}
