// What `kmodel verify` and `kmodel jit` load a program with: --prog-type, --attach
// STRUCT:MEMBER (or STRUCT:#INDEX, BPF_PROG_LOAD's expected_attach_type as the member index)
// and --model M.yaml|NAME. A struct_ops program attached to a modeled
// member gets that model's ctx access, generated prologue/epilogue, kfuncs and writable
// fields (core/model/pipeline.ts modelAttach), as the model's own programs do.
//
// Without --model, a struct_ops type that a shipped model describes loads with that
// model: its verifier ops (gen_prologue, kfunc set) are the subsystem's, and leaving
// them out would silently load a different program (Qdisc_ops:init without the qdisc
// prologue). A note on stderr names the model used.
//
// The model half (reading and checking YAML: zod, yaml, core/model) is
// prog-attach-model.ts, imported only when a struct_ops program needs it: the
// other program types start without loading it (build-cli bundles it apart).
import { funcProtoOf } from '../core/btf/layout';
import type { BtfRegistry } from '../core/btf/registry';
import type { AddressSpace } from '../core/kernel/address-space';
import type { LoadAttr, VerifyEnv } from '../core/verifier/index';
import { PROG_TYPE_NAMES, type ProgTypeName } from '../core/verifier/progtypes/index';
import { flagString, type ParsedArgs } from './args';
import { CliError } from './errors';
import type { ModelArg } from './model-arg';
import { referenceRegistry } from './reference-btf';

export const PROG_TYPES: readonly ProgTypeName[] = PROG_TYPE_NAMES;

export interface AttachOptions {
  progType: string | undefined;
  /** STRUCT:MEMBER or STRUCT:#INDEX */
  attach: string | undefined;
  /** --model: a path or a shipped name. */
  model: string | undefined;
  btf: BtfRegistry;
  /** Where notes go (the model picked for a struct_ops type). */
  note?: (line: string) => void;
}

export interface ProgAttach {
  attr: Omit<LoadAttr, 'insns'>;
  env: VerifyEnv & { addressSpace?: AddressSpace };
  /** The model the program loads with. */
  model?: ModelArg;
}

/** A struct_ops attach target: by member name, or by member index (expected_attach_type). */
export type AttachTarget =
  | { struct: string; member: string }
  | { struct: string; member: null; memberIndex: number };

export function parseAttach(text: string): AttachTarget {
  const byIndex = /^(\w+):#(\d+)$/.exec(text);
  if (byIndex) {
    const memberIndex = Number(byIndex[2]);
    // expected_attach_type is a u32
    if (memberIndex > 0xffffffff) throw new CliError(`--attach member index must fit in u32, got '${text}'`);
    return { struct: byIndex[1]!, member: null, memberIndex };
  }
  const m = /^(\w+):(\w+)$/.exec(text);
  if (!m) throw new CliError(`--attach must be STRUCT:MEMBER or STRUCT:#INDEX, got '${text}'`);
  return { struct: m[1]!, member: m[2]! };
}

/** The name of member `index` of a BTF struct when it is a function pointer (an op), else undefined. */
function opMemberAt(btf: BtfRegistry, struct: string, index: number): string | undefined {
  const ref = btf.findByName(struct, 'STRUCT');
  if (!ref) return undefined;
  const t = ref.obj.btf.type(ref.id);
  if (t.kind !== 'STRUCT') return undefined;
  const m = t.members[index];
  if (!m) return undefined;
  try {
    return funcProtoOf(ref.obj.btf, m.type) !== undefined ? m.name : undefined;
  } catch {
    return undefined;
  }
}

/** Function-pointer members of a BTF struct (what a struct_ops program can implement). */
export function btfOpsMembers(btf: BtfRegistry, struct: string): string[] | undefined {
  const ref = btf.findByName(struct, 'STRUCT');
  if (!ref) return undefined;
  const t = ref.obj.btf.type(ref.id);
  if (t.kind !== 'STRUCT') return undefined;
  return t.members
    .filter((m) => {
      try {
        return funcProtoOf(ref.obj.btf, m.type) !== undefined;
      } catch {
        return false;
      }
    })
    .map((m) => m.name);
}

const listed = (names: readonly string[]) => (names.length ? names.join(', ') : 'none');

export async function progAttach(o: AttachOptions): Promise<ProgAttach> {
  if (o.progType !== undefined && !(PROG_TYPES as readonly string[]).includes(o.progType))
    throw new CliError(`--prog-type must be one of ${PROG_TYPES.join(', ')}, got '${o.progType}'`);
  // A model describes a struct_ops type: --model implies it.
  const progType = (o.progType ?? (o.model !== undefined ? 'struct_ops' : undefined)) as
    | ProgTypeName
    | undefined;
  if (!progType) throw new CliError(`--prog-type is required (${PROG_TYPES.join(', ')})`);
  const target = o.attach !== undefined ? parseAttach(o.attach) : undefined;
  if (progType !== 'struct_ops') {
    if (o.model !== undefined) throw new CliError(`--model is for struct_ops programs, not ${progType}`);
    return { attr: { progType, attach: target ?? null }, env: { btf: o.btf } };
  }
  if (!target) throw new CliError('struct_ops needs --attach STRUCT:MEMBER');
  let attach: { struct: string; member: string };
  if (target.member === null) {
    // By index: an op member loads as by its name; any other index (past the struct's
    // members, a data member, an unknown struct) is check_struct_ops_btf_id's to refuse,
    // with the kernel's log, as BPF_PROG_LOAD would.
    const name = opMemberAt(o.btf, target.struct, target.memberIndex);
    if (name === undefined) return { attr: { progType, attach: target }, env: { btf: o.btf } };
    attach = { struct: target.struct, member: name };
  } else attach = target;

  const m = await import('./prog-attach-model');
  let modelRef = o.model;
  if (modelRef === undefined) {
    const models = m.shippedModelsOf(attach.struct);
    if (models.length > 1)
      throw new CliError(`${attach.struct} is modeled by ${models.join(' and ')}; choose one with --model`);
    if (models.length === 1) {
      modelRef = models[0]!;
      o.note?.(
        `kmodel: ${attach.struct} loads with the shipped model '${modelRef}' (its prologue/epilogue, kfuncs and ctx rules); --model FILE picks another`,
      );
    }
  }
  if (modelRef === undefined) {
    const members = btfOpsMembers(o.btf, attach.struct);
    if (!members)
      throw new CliError(
        `no struct ${attach.struct} in the reference BTF and no shipped model declares it; give its model with --model M.yaml`,
      );
    if (!members.includes(attach.member))
      throw new CliError(
        `struct ${attach.struct} has no op member '${attach.member}' (ops: ${listed(members)})`,
      );
    return { attr: { progType, attach }, env: { btf: o.btf } };
  }
  return m.modelProgAttach(modelRef, attach, o.btf);
}

/** --prog-type, --attach and --model, each over what a BPF object FILE gives (its section, struct_ops map). */
export function progAttachFromFlags(
  args: ParsedArgs,
  fromObject: { progType?: string; attach?: string } | undefined,
  ctx: { stderr(text: string): void },
): Promise<ProgAttach> {
  return progAttach({
    progType: flagString(args, 'prog-type') ?? fromObject?.progType,
    attach: flagString(args, 'attach') ?? fromObject?.attach,
    model: flagString(args, 'model'),
    btf: referenceRegistry(),
    note: (line) => ctx.stderr(`${line}\n`),
  });
}
