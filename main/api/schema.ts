// Validation of every request before a handler sees it: the renderer (and any
// HTTP client of `kmodel serve`) is untrusted input.

import { z } from 'zod';
import { PROG_TYPE_NAMES } from '../../core/verifier/progtypes/names';
import type { ApiErrorInfo, ApiMethod } from './types';

// 1 MiB of program text is far beyond BPF_COMPLEXITY_LIMIT_INSNS * 16 digits.
const hex = z
  .string()
  .max(1 << 20)
  .regex(/^(?:0x)?[0-9a-fA-F\s,x]*$/, 'hex text may contain only hex digits, spaces, commas and 0x');

const corpusId = z.string().regex(/^[a-z]+-\d+$/, 'a corpus id looks like hand-0002');

// Model documents: where a path may point is FileAccess's call (main/host/documents.ts).
const modelPath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.includes('\0'), 'a path without NUL');

// A model: a shipped model's name, or an absolute path the host's FileAccess then checks.
const modelRef = modelPath.refine(
  (p) => /^[\w.-]+$/.test(p) || /^(?:\/|[A-Za-z]:[\\/])/.test(p),
  'a model name like tcp_cc, or the absolute path of a .yaml model file',
);
const modelProgram = z
  .object({
    name: modelRef,
    program: z.string().regex(/^\w+$/, 'a program name of the model').max(128),
    design: z.enum(['kfunc', 'wrapper', 'helper']).optional(),
    profile: z.enum(['v6.12', 'v6.18', 'bpf-next-2026']).optional(),
  })
  .strict();
const modelText = z.string().max(2 << 20);
// 3 MiB of base64 (2.25 MiB of object) stays under kmodel serve's 4 MiB body limit.
const objectBase64 = z
  .string()
  .max(3 << 20)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64 text');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 hex digest');
// What a program loads as: verify, verifyStates and kernelLog take the same two.
const progType = z.enum(PROG_TYPE_NAMES);
// A struct_ops member by name, or by index (BPF_PROG_LOAD's expected_attach_type, a u32).
const structOpsAttach = z
  .union([
    z.object({ struct: z.string().regex(/^\w+$/), member: z.string().regex(/^\w+$/) }).strict(),
    z
      .object({ struct: z.string().regex(/^\w+$/), memberIndex: z.number().int().min(0).max(0xffffffff) })
      .strict(),
  ])
  .nullable();

export const schemas = {
  version: z.object({}).strict().optional(),
  disasm: z.object({ hex, endian: z.enum(['le', 'be']).optional() }).strict(),
  samples: z
    .object({ query: z.string().max(200).optional(), limit: z.number().int().min(1).max(5000).optional() })
    .strict(),
  sample: z.object({ id: z.string().regex(/^[a-z]+-\d+$/, 'a corpus id looks like hand-0002') }).strict(),
  btfNames: z.object({}).strict().optional(),
  btfType: z.object({ id: z.number().int().min(0) }).strict(),
  jit: z
    .object({
      id: corpusId.optional(),
      model: modelProgram.optional(),
      object: z
        .object({ base64: objectBase64, program: z.string().regex(/^\w+$/, 'a program name').max(128) })
        .strict()
        .optional(),
      syntax: z.enum(['intel', 'gas']).optional(),
    })
    .strict()
    .refine(
      (p) => [p.id, p.model, p.object].filter((x) => x !== undefined).length === 1,
      'give either id or model, or object',
    ),
  verify: z
    .object({
      id: corpusId.optional(),
      hex: hex.optional(),
      progType: progType.optional(),
      attach: structOpsAttach.optional(),
      logLevel: z.union([z.literal(1), z.literal(2)]).optional(),
      model: modelProgram.optional(),
      object: z
        .object({ base64: objectBase64, program: z.string().regex(/^\w+$/, 'a program name').max(128) })
        .strict()
        .optional(),
    })
    .strict()
    .refine(
      (p) => [p.id, p.hex, p.model, p.object].filter((x) => x !== undefined).length === 1,
      'give either id, hex, model or object',
    ),
  verifyStates: z
    .object({
      id: corpusId.optional(),
      hex: hex.optional(),
      progType: progType.optional(),
      attach: structOpsAttach.optional(),
      insn: z.number().int().min(0).max(1_000_000).optional(),
    })
    .strict()
    .refine((p) => (p.id === undefined) !== (p.hex === undefined), 'give either id or hex'),
  kernelLog: z
    .object({
      log: z.string().max(16 << 20),
      id: corpusId.optional(),
      hex: hex.optional(),
      progType: progType.optional(),
      attach: structOpsAttach.optional(),
      logLevel: z.union([z.literal(1), z.literal(2)]).optional(),
    })
    .strict()
    .refine((p) => p.id === undefined || p.hex === undefined, 'give id or hex, not both'),
  corpusStats: z
    .object({ query: z.string().max(200).optional(), limit: z.number().int().min(1).max(2000).optional() })
    .strict(),
  listModels: z.object({}).strict().optional(),
  openModel: z.object({ name: modelRef }).strict(),
  compare: z
    .object({
      name: modelRef,
      profile: z.enum(['v6.12', 'v6.18', 'bpf-next-2026', 'auto']).optional(),
      member: z.string().regex(/^\w+$/).optional(),
    })
    .strict(),
  diffModels: z
    .object({
      a: modelRef,
      b: modelRef,
      profileA: z.enum(['v6.12', 'v6.18', 'bpf-next-2026', 'auto']).optional(),
      profileB: z.enum(['v6.12', 'v6.18', 'bpf-next-2026', 'auto']).optional(),
    })
    .strict(),
  subsystemGraph: z.object({ name: modelRef }).strict(),
  openModelFile: z.object({ path: modelPath }).strict(),
  newModel: z
    .union([
      z.object({}).strict(),
      z
        .object({
          subsystem: z.string().regex(/^[A-Za-z_]\w{0,63}$/, 'a C identifier like my_sched'),
          structOps: z.string().regex(/^[A-Za-z_]\w{0,127}$/, 'a C struct name like tcp_congestion_ops'),
          from: z.enum(['btf', 'declared']),
        })
        .strict(),
    ])
    .optional(),
  validateModelText: z
    .object({ text: modelText, path: modelPath.optional(), graph: z.boolean().optional() })
    .strict(),
  saveModel: z
    .object({
      path: modelPath,
      text: modelText,
      expectedHash: sha256.nullable().optional(),
      force: z.boolean().optional(),
    })
    .strict(),
  modelFileStatus: z.object({ path: modelPath, hash: sha256.nullable() }).strict(),
  openObject: z
    .object({
      base64: objectBase64,
      name: z.string().max(255).optional(),
    })
    .strict(),
} satisfies Record<ApiMethod, z.ZodType>;

/** Validates params for a method; the message names the first bad field. */
export function parseParams(method: ApiMethod, params: unknown): unknown {
  const optional = method === 'version' || method === 'listModels' || method === 'newModel';
  const r = schemas[method].safeParse(params ?? (optional ? undefined : {}));
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const where = issue.path.length ? issue.path.join('.') : 'params';
  throw new ApiError('bad-request', `${method}: ${where}: ${issue.message}`);
}

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorInfo['code'],
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
