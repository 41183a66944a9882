// Runs a fixed-up member program in the ISA interpreter, so a model's `expect.retval`
// (the selftests' __retval) can be checked. The ctx is the u64 argument array; each
// pointer-to-struct argument points at a zeroed object of the struct's size; kfuncs run
// the BPF `body` the model gives them (keyed by their final call imm, as after fixups).
import type { Insn } from '../isa/insn';
import { type Helper, runProgram } from '../isa/interp';
import { Memory } from '../isa/memory';
import type { KfuncDesc } from '../verifier/fixups/kfunc';
import { assembleModelText, type ModelBuild } from './build';
import { resolveType } from './cdecl';
import { splitInsnText } from './program';
import type { FuncType, ResolvedModel } from './resolve';

export interface SimulationResult {
  r0: bigint;
  steps: number;
}

/** undefined when the program calls a kfunc without a body (nothing to run it with). */
export function simulateProgram(
  model: ResolvedModel,
  build: ModelBuild,
  func: FuncType,
  xlated: readonly Insn[],
  kfuncDescs: readonly KfuncDesc[],
): SimulationResult | undefined {
  const mem = new Memory();
  const slots = new Uint8Array(8 * Math.max(1, func.params.length));
  const view = new DataView(slots.buffer);
  func.params.forEach((p, k) => {
    const t = resolveType(p.type);
    if (t.kind !== 'ptr') return;
    const to = resolveType(t.to);
    if (to.kind !== 'struct' && to.kind !== 'union') return;
    let size = 64;
    try {
      size = build.emitter.sizeAlign(to).size || 64;
    } catch {
      size = 64;
    }
    view.setBigUint64(8 * k, mem.map(`arg${k}`, new Uint8Array(size)), true);
  });
  const ctx = mem.map('ctx', slots);
  const kfuncs = new Map<number, Helper>();
  for (const d of kfuncDescs) {
    const body = model.kfuncs.get(d.name)?.spec.body;
    if (!body) return undefined;
    const insns = assembleModelText(body, splitInsnText(body), () => undefined);
    kfuncs.set(d.imm, (call) => {
      // The body gets its own stack; the caller's objects are shared (same bytes, same addresses).
      const inner = new Memory();
      for (const r of call.mem.regions) {
        if (!r.name.startsWith('stack')) inner.map(r.name, r.bytes, r.writable, r.base);
      }
      return runProgram(insns, { args: [...call.args], mem: inner }).r0;
    });
  }
  const r = runProgram(xlated, { args: [ctx], mem, kfuncs, validate: false });
  return { r0: r.r0, steps: r.steps };
}
