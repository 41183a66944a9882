// Builds the kernel-side artefacts of a resolved model: its BTF (split on the reference
// vmlinux), the BTF ids of its kfuncs, addresses for its kfuncs and BPF_CALL_N wrappers,
// and the instructions of its generated code and programs under a chosen call design.
import type { Btf } from '../btf/btf';
import { assemble } from '../isa/asm';
import { BPF_CALL_KFUNC, BPF_EMIT_CALL } from '../isa/builders';
import { helperId } from '../isa/helper-names';
import type { Insn } from '../isa/insn';
import type { AddressSpace } from '../kernel/address-space';
import { ModelBtfEmitter } from './btf-emit';
import { InsnTextError, substituteCtxStackOff, type TextLine } from './program';
import { type ResolvedGenerated, type ResolvedModel, wrapperFor } from './resolve';
import type { CallDesign } from './schema';

/** fd_array slot a module's BTF takes in the modeled BPF_PROG_LOAD (slot 0 is unused). */
export const MODULE_BTF_FD_IDX = 1;

export interface ModelBuild {
  emitter: ModelBtfEmitter;
  /** BTF id of each kfunc (FUNC record), in vmlinux or in the model's own split BTF. */
  kfuncIds: Map<string, number>;
  /** BTF id of the struct_ops type. */
  structId?: number;
  /** Kfuncs the reference vmlinux BTF already carries (no bytes added for them). */
  inBaseBtf: Set<string>;
}

/** Emits the model's types, its struct_ops type and every kfunc into BTF. */
export function buildModelBtf(model: ResolvedModel, base: Btf | undefined): ModelBuild {
  const emitter = new ModelBtfEmitter(base, model.decls, model.configMembers);
  const kfuncIds = new Map<string, number>();
  const inBaseBtf = new Set<string>();
  let structId: number | undefined;
  const so = model.model.struct_ops;
  if (model.structFrom === 'decl') structId = emitter.typeId({ kind: 'struct', name: so.name });
  else if (base) structId = base.findByName(so.name, 'STRUCT');
  for (const k of model.kfuncs.values()) {
    const existing = !k.module ? base?.findByName(k.name, 'FUNC') : undefined;
    if (existing !== undefined) {
      kfuncIds.set(k.name, existing);
      inBaseBtf.add(k.name);
    } else {
      kfuncIds.set(k.name, emitter.addFunc(k.name, k.type));
    }
  }
  const out: ModelBuild = { emitter, kfuncIds, inBaseBtf };
  if (structId !== undefined) out.structId = structId;
  return out;
}

/** Base of the made-up vmlinux text the model's own built-in functions occupy (BPF_CALL_IMM). */
const MODEL_VMLINUX_TEXT_IMM = 0x00c00000;

/**
 * Gives every kfunc and wrapper of the model an address: vmlinux text near
 * __bpf_call_base for built-in code, the module area for module code. Symbols the
 * address space already knows keep their address.
 */
export function placeModelSymbols(model: ResolvedModel, as: AddressSpace): void {
  const names: { name: string; module?: string }[] = [];
  for (const k of model.kfuncs.values())
    names.push(k.module ? { name: k.name, module: k.module } : { name: k.name });
  for (const w of model.wrappers.values())
    names.push(w.module ? { name: w.name, module: w.module } : { name: w.name });
  let slot = 0;
  for (const n of names) {
    if (as.has(n.name)) continue;
    if (n.module) as.addModule(n.module, [{ name: n.name }]);
    else {
      // Deterministic spot per name order, 256 bytes apart, well inside ±2 GiB.
      while (as.symbolForImm(MODEL_VMLINUX_TEXT_IMM + slot * 0x100)?.offset === 0) slot++;
      as.addVmlinuxText(n.name, MODEL_VMLINUX_TEXT_IMM + slot * 0x100);
      slot++;
    }
  }
}

export interface AssembleEnv {
  build: ModelBuild;
  as: AddressSpace;
}

/** How one `call NAME` was encoded. */
export interface EncodedCall {
  name: string;
  design: CallDesign;
  /** For wrapper design: the BPF_CALL_N symbol called. */
  symbol?: string;
  insn: Insn;
}

const PLACEHOLDER = '__kmodel_call_';

/**
 * Assembles model instruction text with the ISA assembler. `encode` picks the encoding
 * of each `call NAME` line (undefined leaves it to the assembler: helpers by name,
 * labels, `pc+N`). Errors come back as InsnTextError with 0-based line/col in the text.
 */
export function assembleModelText(
  text: string,
  lines: readonly TextLine[],
  encode: (name: string) => Insn | undefined,
): Insn[] {
  // Rewrite encoded call lines to placeholders in place, so line numbers stay those of the text.
  const src = text.split('\n');
  const byPlaceholder = new Map<string, Insn>();
  lines.forEach((l, k) => {
    if (!l.callName) return;
    const insn = encode(l.callName);
    if (!insn) return;
    const ph = `${PLACEHOLDER}${k}`;
    byPlaceholder.set(ph, insn);
    src[l.line] = src[l.line]!.replace(new RegExp(`\\bcall\\s+${l.callName}\\b`), `call ${ph}`);
  });
  try {
    return assemble(src.join('\n'), {
      syntax: 'kernel',
      resolveCall: (name) => {
        const i = byPlaceholder.get(name);
        return i ? { src: i.src, imm: i.imm, off: i.off } : undefined;
      },
    });
  } catch (e) {
    const err = e as { line?: number; column?: number; reason?: string; message?: string };
    if (typeof err.line === 'number') {
      throw new InsnTextError(
        err.line - 1,
        Math.max(0, (err.column ?? 1) - 1),
        err.reason ?? String(err.message),
      );
    }
    throw e;
  }
}

/** A kfunc call insn: BPF_CALL_KFUNC(off, btf id). */
export function kfuncCallInsn(model: ResolvedModel, build: ModelBuild, name: string): Insn | undefined {
  const k = model.kfuncs.get(name);
  const id = build.kfuncIds.get(name);
  if (!k || id === undefined) return undefined;
  return BPF_CALL_KFUNC(k.module ? MODULE_BTF_FD_IDX : 0, id);
}

/** Encodes one generated-code call under `design`; throws when the design cannot express it. */
export function encodeGeneratedCall(
  model: ResolvedModel,
  env: AssembleEnv,
  name: string,
  design: CallDesign,
): EncodedCall {
  if (design === 'kfunc') {
    const insn = kfuncCallInsn(model, env.build, name);
    if (!insn) throw new Error(`${name} is not a kfunc of this model`);
    return { name, design, insn };
  }
  if (design === 'wrapper') {
    const w = wrapperFor(model, name);
    if (!w) throw new Error(`${name} has no BPF_CALL_N wrapper in this model`);
    // BPF_EMIT_CALL(fn): imm = fn − __bpf_call_base, fixed at generation time.
    return { name, design, symbol: w.name, insn: BPF_EMIT_CALL(env.as.callImm(w.name)) };
  }
  const id = helperId(name);
  if (id === undefined) throw new Error(`${name} is not a helper`);
  return { name, design, insn: BPF_EMIT_CALL(id) };
}

/** The instructions a gen_prologue/gen_epilogue hook returns (prologue: without insn 0's copy). */
export function assembleGenerated(
  model: ResolvedModel,
  env: AssembleEnv,
  g: ResolvedGenerated,
  design: CallDesign | undefined,
  ctxStackOff = -8,
): { insns: Insn[]; calls: EncodedCall[] } {
  const spec = model.model.struct_ops.members.find((_, i) => model.members[i]?.[g.which] === g)?.[g.which];
  const text = spec?.insns ?? '';
  const calls: EncodedCall[] = [];
  const substituted = g.which === 'epilogue' ? substituteCtxStackOff(text, ctxStackOff) : text;
  const insns = assembleModelText(substituted, g.lines, (name) => {
    const c = encodeGeneratedCall(model, env, name, design ?? 'kfunc');
    calls.push(c);
    return c.insn;
  });
  return { insns, calls };
}

/** A member program's instructions: kfunc names become kfunc calls, helpers stay helper calls. */
export function assembleProgram(model: ResolvedModel, env: AssembleEnv, index: number): Insn[] {
  const p = model.programs[index]!;
  return assembleModelText(p.spec.insns, p.lines, (name) => kfuncCallInsn(model, env.build, name));
}
