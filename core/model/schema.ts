// The subsystem model file format (models/*.yaml), as a zod schema. models/schema.json
// is generated from it (core/model/json-schema.ts) so editors can validate too.
import { z } from 'zod';
import { BTF_KFUNC_HOOKS } from '../btf/kfuncs';
import { reviewNotes } from './review';

const ident = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a C identifier');

/** Kernel profiles known to core/kernel/profiles.ts. */
export const PROFILE_NAMES = ['v6.12', 'v6.18', 'bpf-next-2026'] as const;
export const profileName = z.enum(PROFILE_NAMES);

/** How generated pro/epilogue code calls into the kernel. */
export const CALL_DESIGNS = ['kfunc', 'wrapper', 'helper'] as const;
export const callDesign = z.enum(CALL_DESIGNS);

/** enum btf_kfunc_hook, without the BTF_KFUNC_HOOK_ prefix. */
export const KFUNC_HOOKS = BTF_KFUNC_HOOKS;

/** KF_* flags (include/linux/btf.h). */
export const KF_FLAGS = [
  'KF_ACQUIRE',
  'KF_RELEASE',
  'KF_RET_NULL',
  'KF_TRUSTED_ARGS',
  'KF_SLEEPABLE',
  'KF_DESTRUCTIVE',
  'KF_RCU',
  'KF_ITER_NEW',
  'KF_ITER_NEXT',
  'KF_ITER_DESTROY',
  'KF_RCU_PROTECTED',
  'KF_FASTCALL',
  'KF_SPINLOCK_SAFE',
  'KF_IMPLICIT_ARGS',
] as const;

const owner = z.union([
  z.literal('vmlinux').describe('built into the kernel image'),
  z.strictObject({ module: ident.describe('module name, e.g. bpf_testmod') }),
]);

/** Instructions in verifier-log syntax; `call NAME` names a kfunc, wrapper or helper. */
const insnText = z.string().min(1, 'needs at least one instruction');

const generated = z.strictObject({
  insns: insnText.describe(
    'instructions in verifier-log syntax, one per line; `{ctx_stack_off}` is replaced by the ' +
      'epilogue ctx slot offset; `call NAME` is emitted per the call design',
  ),
  design: callDesign
    .optional()
    .describe('call mechanism the kernel uses here; the comparison tries the others as well'),
  source: z.string().optional(),
});

const ctxRules = z.strictObject({
  access: z
    .enum(['read', 'none'])
    .default('read')
    .describe('the u64 argument slots are read-only (bpf_tracing_btf_ctx_access) or not accessible'),
  btf_args: z
    .array(
      z.strictObject({
        arg: z.int().min(0).max(11),
        type: ident.describe('struct the argument points to'),
        trusted: z.boolean().default(true),
      }),
    )
    .optional()
    .describe('arguments whose pointer type is overridden by is_valid_access'),
  refcounted: z
    .array(z.int().min(0).max(11))
    .optional()
    .describe('arguments named __ref in the CFI stub: the program owns a reference it must release'),
  nullable: z
    .array(z.int().min(0).max(11))
    .optional()
    .describe('arguments named __nullable in the CFI stub: PTR_MAYBE_NULL, checked before use'),
});

const member = z.strictObject({
  name: ident,
  decl: z.string().optional().describe('C member declaration; optional when struct_ops.btf names the type'),
  kind: z.enum(['op', 'data', 'unsupported']).optional().describe('default: op for function pointers'),
  sleepable: z
    .boolean()
    .optional()
    .describe('sleepable programs may implement it (with struct_ops.sleepable: listed, only these)'),
  ctx: ctxRules.optional(),
  prologue: generated.optional(),
  epilogue: generated.optional(),
  note: z.string().optional(),
});

const kfunc = z.strictObject({
  decl: z.string().describe('C prototype'),
  flags: z.array(z.enum(KF_FLAGS)).default([]),
  hidden: z.boolean().optional().describe('filtered out for BPF programs: only generated code calls it'),
  body: z
    .string()
    .optional()
    .describe(
      'what the kernel function does, as BPF instructions (r1-r5 = args, r0 = result): used to run programs',
    ),
  note: z.string().optional(),
});

const kfuncSet = z.strictObject({
  name: ident,
  hook: z.array(z.enum(KFUNC_HOOKS)).min(1),
  owner: owner.optional().describe('default: the model owner'),
  filter: ident.optional().describe('the kernel filter function, e.g. bpf_qdisc_kfunc_filter'),
  filter_rule: z
    .strictObject({
      kind: z.literal('per_member'),
      sets: z.record(ident, z.array(ident)).describe('member → the kfuncs of this set its programs may call'),
      default: z.enum(['allow', 'deny']).optional().describe('members not in sets (default allow)'),
    })
    .optional()
    .describe('what the filter does, as the generic rule the verifier applies'),
  source: z.string().optional(),
  kfuncs: z.array(kfunc).min(1),
});

const wrapper = z.strictObject({
  name: ident.describe('symbol BPF_CALL_N defines (what BPF_EMIT_CALL names)'),
  wraps: ident.describe('the kernel function whose body the wrapper runs'),
  args: z.int().min(0).max(5),
  owner: owner.optional(),
  source: z.string().optional(),
});

const program = z.strictObject({
  name: ident,
  member: ident,
  insns: insnText,
  license: z.string().default('GPL'),
  sleepable: z.boolean().optional().describe('loaded with BPF_F_SLEEPABLE'),
  expect: z
    .strictObject({
      verdict: z.enum(['accept', 'reject']).optional().describe('pinned load outcome (default accept)'),
      error: z.string().optional().describe("the kernel's reason line when the load is rejected"),
      xlated: z.string().optional().describe('expected xlated dump, `N: insn` per line, prefix match'),
      retval: z.int().optional(),
      source: z.string().optional(),
    })
    .optional(),
  note: z.string().optional(),
});

const writable = z.strictObject({
  struct: ident,
  fields: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*(\[[0-9]+\])?$/)).min(1),
  strings: z.array(z.string()).optional().describe('fields that are C strings: the NUL byte stays read-only'),
});

/** Errnos map update and registration answer with. */
export const ERRNO_NAMES = ['EINVAL', 'E2BIG', 'EEXIST', 'ENOTSUPP', 'EACCES'] as const;
const errnoName = z.enum(ERRNO_NAMES);

/** One case of a subsystem's init_member: what it does with a data member's value. */
const initMemberRule = z.strictObject({
  check: z
    .enum(['copy', 'obj_name', 'mask', 'max', 'zero'])
    .describe(
      'copy: taken as is; obj_name: bpf_obj_name_cpy() <= 0 refuses it (empty, a char outside ' +
        '[A-Za-z0-9_.], no NUL in the array); mask: value & ~mask refuses it; max: value > max refuses it; ' +
        'zero: a non-zero value refuses it (the kernel fills the member)',
    ),
  mask: z.int().min(0).optional().describe('check: mask — the bits allowed'),
  max: z.int().min(0).optional().describe('check: max — the largest value taken'),
  name: z.string().optional().describe("the kernel's name for mask or max, e.g. TCP_CONG_MASK"),
  errno: errnoName.default('EINVAL'),
  message: z.string().optional().describe('what the kernel logs when it refuses (none: an errno only)'),
  source: z.string().optional(),
});

export const modelSchema = z.strictObject({
  subsystem: ident.describe('short id, e.g. bpf_qdisc'),
  title: z.string(),
  kernel: z
    .string()
    .regex(/^v\d+\.\d+$/, 'must look like v6.16')
    .describe('first mainline release carrying the struct_ops type'),
  profile: profileName.describe('kernel profile `model check` verifies under'),
  owner,
  sources: z.array(z.string()).min(1).describe('kernel source paths the facts come from'),
  types: z.string().optional().describe('C declarations of the structs/enums the model needs'),
  config_members: z
    .array(
      z.strictObject({
        struct: ident.describe('a struct of the reference BTF'),
        after: ident.describe('the member it follows'),
        decl: z.string().describe('C member declaration, e.g. `struct sched_ext_entity scx`'),
        config: z.string().optional().describe('the Kconfig option that adds it'),
      }),
    )
    .default([])
    .describe(
      "members a kernel config the reference build lacks adds to one of its structs: the model's BTF " +
        'carries the struct with them (later members move by a multiple of 64 bytes)',
    ),
  struct_ops: z.strictObject({
    name: ident.describe('bpf_struct_ops .name / the BTF struct name'),
    btf: ident.optional().describe('take the struct from the BTF registry (reference vmlinux)'),
    verifier_ops: z
      .array(
        z.enum(['get_func_proto', 'is_valid_access', 'btf_struct_access', 'gen_prologue', 'gen_epilogue']),
      )
      .min(1),
    get_func_proto: z.string().optional().describe('e.g. bpf_base_func_proto'),
    helpers: z
      .array(ident)
      .optional()
      .describe('helpers get_func_proto adds to bpf_base_func_proto (enum bpf_func_id names, no bpf_)'),
    helper_rule: z
      .strictObject({
        kind: z.literal('per_member'),
        deny: z
          .record(ident, z.array(ident).min(1))
          .describe('member → helpers of `helpers` it does not get'),
      })
      .optional()
      .describe("get_func_proto's answer per member (bpf_struct_ops_prog_moff(prog) compared with a member)"),
    sleepable: z
      .enum(['any', 'listed'])
      .optional()
      .describe('listed: check_member refuses sleepable programs on members without sleepable: true'),
    promote: z
      .array(z.strictObject({ from: ident, to: ident }))
      .optional()
      .describe('is_valid_access: a pointer argument to struct `from` reads as a pointer to struct `to`'),
    members: z.array(member).min(1),
    required: z
      .array(z.union([ident, z.array(ident).min(2)]))
      .optional()
      .describe(
        'members every instance implements (compulsory ops of init_member, validate, reg); a list: one of them',
      ),
    required_message: z
      .string()
      .optional()
      .describe("what the kernel logs when a required member is missing ({member}: a data member's value)"),
    init_member: z
      .record(ident, initMemberRule)
      .optional()
      .describe(
        "init_member's cases: data member → how map update takes its value (others must be zero, -EINVAL)",
      ),
    unique_name: z
      .strictObject({
        member: ident.describe('the data member holding the name'),
        registered: z.array(z.string()).describe('names the reference kernel has registered already'),
        errno: errnoName.default('EEXIST'),
        message: z.string().optional().describe('what the kernel logs; {name} is the name'),
        source: z.string().optional(),
      })
      .optional()
      .describe('reg refuses a name already registered'),
    writable: z.array(writable).optional().describe('fields btf_struct_access lets programs write'),
    writable_style: z
      .enum(['offset', 'range', 'silent'])
      .optional()
      .describe(
        'offset: a write starts at a listed field (arrays/structs anywhere inside), else "no write support to S at off N"; ' +
          'range: a write lies inside a field, else "write access at off N with size Z on read-only part of S"; ' +
          'silent: a write lies inside a field, else -EACCES with nothing logged',
      ),
  }),
  call_design: z
    .partialRecord(profileName, callDesign)
    .optional()
    .describe('how the kernel at each profile emits pro/epilogue calls'),
  kfunc_sets: z.array(kfuncSet).default([]),
  wrappers: z.array(wrapper).default([]),
  programs: z.array(program).default([]),
  review: reviewNotes,
  instances: z
    .array(
      z.strictObject({
        name: ident,
        programs: z.record(ident, ident).describe('member → the program (of programs:) that implements it'),
        data: z
          .record(ident, z.union([z.int(), z.string()]))
          .optional()
          .describe('data member → its value in the map (strings for char arrays); absent: zero'),
        expect: z
          .strictObject({ error: z.string().describe('what map update / registration refuses') })
          .optional(),
        note: z.string().optional(),
      }),
    )
    .default([])
    .describe('struct_ops maps as a BPF object declares them: checked as map update and reg would'),
});

export type Model = z.output<typeof modelSchema>;
export type ModelMember = Model['struct_ops']['members'][number];
export type ModelKfuncSet = Model['kfunc_sets'][number];
export type ModelKfunc = ModelKfuncSet['kfuncs'][number];
export type ModelWrapper = Model['wrappers'][number];
export type ModelProgram = Model['programs'][number];
export type ModelGenerated = NonNullable<ModelMember['prologue']>;
export type InitMemberRule = z.output<typeof initMemberRule>;
export type ErrnoName = (typeof ERRNO_NAMES)[number];
export type ModelOwner = Model['owner'];
export type ProfileName = (typeof PROFILE_NAMES)[number];
export type CallDesign = (typeof CALL_DESIGNS)[number];

export const ownerModule = (o: ModelOwner): string | undefined => (o === 'vmlinux' ? undefined : o.module);

export const isProfileName = (s: string): s is ProfileName =>
  (PROFILE_NAMES as readonly string[]).includes(s);
