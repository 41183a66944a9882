// Runs a checked model's member program through the modeled kernel for `model check`:
// bpf_check with the model's struct_ops hooks, kfuncs and module BTF (do_check, stack
// depths, convert_ctx_accesses with the pro/epilogue, do_misc_fixups, fixup_kfunc_call),
// then the x86-64 JIT, then the interpreter when the model expects a retval.
import { disasmProgram } from '../isa/disasm';
import { xlatedForListing } from '../verifier/fixups/dump';
import type { VerifyOutcome, VerifyRequest } from './check';
import { runModelPipeline } from './pipeline';
import { simulateProgram } from './simulate';

export function modelVerifier(req: VerifyRequest): VerifyOutcome | undefined {
  const base = req.build.emitter.base;
  if (!base) return undefined;
  const m = req.program.member;
  const design = m.prologue?.design ?? m.epilogue?.design;
  const run = runModelPipeline({
    check: {
      file: '',
      diagnostics: [],
      programs: [],
      instances: [],
      generated: [],
      resolved: req.model,
      build: req.build,
      as: req.as,
    },
    base,
    member: m.name,
    insns: req.insns,
    design,
    profile: req.profile,
    doCheck: true,
    ...(req.program.spec.sleepable ? { sleepable: true } : {}),
    ...(req.program.object?.progBtf ? { progBtf: req.program.object.progBtf } : {}),
  });
  const processed = run.processedInsns !== undefined ? { processedInsns: run.processedInsns } : {};
  if (!run.ok || !run.fixups) {
    const at = run.errorInsn !== undefined ? { insn: run.errorInsn } : {};
    return { ok: false, stage: 'bpf_check', error: run.error ?? 'failed', ...processed, ...at };
  }
  const out: VerifyOutcome = {
    ok: true,
    stage: 'bpf_check',
    xlated: disasmProgram(xlatedForListing(run.fixups.insns)),
    ...processed,
  };
  if (run.jit) out.jitBytes = run.jit.size;
  if (req.program.spec.expect?.retval !== undefined && m.func) {
    const sim = simulateProgram(req.model, req.build, m.func, run.fixups.insns, run.fixups.kfuncDescs);
    // int-returning ops: the trampoline hands back the low 32 bits, sign-extended.
    if (sim) out.retval = Number(BigInt.asIntN(32, sim.r0));
  }
  return out;
}
