// The one API of kmodel's app: what the renderer may ask and what it gets back.
// The renderer imports this file with `import type` only; main/api/schema.ts
// validates every request, main/api/handlers.ts answers it (in a worker thread),
// and the Electron preload (IPC) and `kmodel serve` (HTTP) carry it.

import type { ModelComparison } from '../../core/analysis/compare';
import type { ModelDiff } from '../../core/analysis/diff';
import type { Provenance } from '../../core/analysis/provenance';
import type { ProgStats } from '../../core/kernel/prog-stats';
import type { ModelDiagnostic } from '../../core/model/load';
import type { ModelSummary } from '../../core/model/summary';
import type { ParsedVerifierLog } from '../../core/verifier/debug/kernel-log';
import type { StatePane } from '../../core/verifier/debug/state-pane';
import type { ProgTypeName } from '../../core/verifier/progtypes/index';

export type { ModelComparison, ModelDiagnostic, ModelSummary, Provenance };

export type Endian = 'le' | 'be';
export type ProgType = ProgTypeName;

export interface VersionResult {
  kmodel: string;
  node: string;
  /** Kernel release the reference data (BTF, corpus) comes from. */
  kernel: string;
  /** Core features present in this build, e.g. 'disasm', 'btf', 'verify', 'jit'. */
  features: string[];
}

export interface DisasmParams {
  hex: string;
  endian?: Endian;
}

export interface ListingLine {
  /** Slot index (the kernel's instruction index). */
  idx: number;
  /** Slots the instruction occupies: 2 for ld_imm64, else 1. */
  slots: number;
  /** Kernel verifier-log syntax without the `N: ` prefix, e.g. `(b7) r0 = 0`. */
  text: string;
  /** Raw bytes of the instruction (16 or 32 hex digits). */
  hex: string;
  /** Block id holding the instruction. */
  block: number;
}

export type CfgEdgeKind = 'fallthrough' | 'taken' | 'call';

export interface CfgBlock {
  id: number;
  start: number;
  end: number;
  subprog: number;
}

export interface CfgEdge {
  from: number;
  to: number;
  kind: CfgEdgeKind;
  insn: number;
}

export interface Cfg {
  blocks: CfgBlock[];
  edges: CfgEdge[];
  subprogs: number[];
  badTargets: { insn: number; target: number }[];
}

export interface DisasmResult {
  /** Number of 8-byte slots. */
  slots: number;
  lines: ListingLine[];
  cfg: Cfg;
}

export interface SamplesParams {
  /** Substring matched against id, prog type and description (case-insensitive). */
  query?: string;
  limit?: number;
}

export interface SampleSummary {
  id: string;
  origin: string;
  progType: ProgType;
  description: string;
  slots: number;
  verdict: 'accept' | 'reject';
}

export interface SamplesResult {
  total: number;
  samples: SampleSummary[];
}

export interface SampleParams {
  id: string;
}

export interface StructOpsAttach {
  struct: string;
  member: string | null;
  btf_id: number;
  member_index: number;
}

export interface MapDef {
  type: string;
  key_size: number;
  value_size: number;
  max_entries: number;
}

/** One corpus case as the real kernel answered it (see test/fixtures/corpus/README.md). */
export interface SampleCase extends SampleSummary {
  hex: string;
  attach: StructOpsAttach | null;
  maps: MapDef[];
  kernel: {
    release: string;
    verdict: 'accept' | 'reject';
    errno: number;
    log: string;
    processedInsns: number | null;
    xlated: string | null;
    jited: string | null;
  };
}

export interface BtfTypeSummary {
  id: number;
  kind: string;
  name: string;
  size: number | null;
}

/**
 * Every named type of the reference BTF, compactly, in the browser's tie-break
 * order (kind: struct, union, enum, typedef, func, var, datasec, int/float, fwd;
 * then name length, name, id). The renderer searches it locally per keystroke.
 * Entry i: name = the i-th line of `names`, id = ids[i], kind =
 * kindNames[kinds.charCodeAt(i) - 65], size = sizes[i] (-1: none).
 */
export interface BtfNameIndex {
  /** Types in the BTF, named or not. */
  typeCount: number;
  /** Original names joined by '\n' (BTF names never hold one). */
  names: string;
  ids: number[];
  /** One character per entry: 'A' + its index in kindNames. */
  kinds: string;
  kindNames: string[];
  /** Byte size, or -1 where the kind has none (func, var, fwd…). */
  sizes: number[];
}

export interface BtfTypeRefInfo {
  id: number;
  kind: string;
  name: string;
  /** C spelling, e.g. `struct sock *`. */
  text: string;
}

export interface BtfMemberInfo {
  name: string;
  type: BtfTypeRefInfo;
  /** Byte offset (floor of bitOffset / 8). */
  offset: number;
  bitOffset: number;
  bitfieldSize: number;
  size: number | null;
}

export interface BtfTypeDetail {
  id: number;
  kind: string;
  name: string;
  size: number | null;
  text: string;
  members?: BtfMemberInfo[];
  params?: { name: string; type: BtfTypeRefInfo }[];
  ret?: BtfTypeRefInfo;
  values?: { name: string; value: string }[];
  target?: BtfTypeRefInfo;
  nelems?: number;
  vars?: { type: BtfTypeRefInfo; offset: number; size: number }[];
  /** Named types that mention this one (through pointers, typedefs, arrays…), first 200. */
  referencedBy: BtfTypeSummary[];
  referencedByTotal: number;
}

export interface PlainLine {
  idx: number;
  text: string;
}

export interface X86ViewLine {
  offset: number;
  bytes: string;
  text: string;
  /** xlated insn whose code this is; null for the prologue and padding. */
  insn: number | null;
}

export interface JitParams {
  /** A corpus case the kernel accepted (its xlated program is JIT-ed). */
  id?: string;
  /** Or a model's member program (give id or model). */
  model?: ModelProgramParams;
  /** Or a program of a BPF object (base64 bytes), verified and JITed by kmodel. */
  object?: { base64: string; program: string };
  syntax?: 'intel' | 'gas';
}

/** One of a model's programs, run through the modeled kernel under a design and profile. */
export interface ModelProgramParams {
  /** The model identifier (a shipped name or an absolute path). */
  name: string;
  program: string;
  /** Default: what the profile's kernel uses (the model's call_design). */
  design?: 'kfunc' | 'wrapper' | 'helper';
  /** Default: the model's profile. */
  profile?: 'v6.12' | 'v6.18' | 'bpf-next-2026';
}

/** What a model program view shows besides the listings. */
export interface ModelProgramInfo {
  model: string;
  program: string;
  member: string;
  design: string | null;
  profile: string;
  /** The member's generated code: 'prologue', 'epilogue'. */
  generated: string[];
  /** Every program of the model (for a picker). */
  programs: { name: string; member: string }[];
}

export interface JitView {
  id: string;
  /** Loads and stores through a typed pointer: the struct field they reach, by loaded insn index. */
  fields?: { idx: number; field: string }[];
  /** A model's program (JitParams.model). */
  program?: ModelProgramInfo;
  /** The program as loaded. */
  bpf: PlainLine[];
  /** An object's program: its C source lines (line_info) in `bpf`. */
  source?: SourceLine[];
  /** The kernel's xlated (patched) program. */
  xlated: PlainLine[];
  /** kmodel's x86-64 JIT of `xlated`. */
  x86: X86ViewLine[];
  jitted: boolean;
  size?: number;
  kernelSize?: number;
  passes?: number;
  /** Byte-exact with the kernel's image (addresses masked). */
  exact?: boolean;
  reason?: string;
}

/**
 * A struct_ops program's member: by name, or by index as BPF_PROG_LOAD's expected_attach_type
 * takes it (an index past the struct's members gets the kernel's attach error and log).
 */
export type StructOpsAttachParam =
  | { struct: string; member: string }
  | { struct: string; memberIndex: number };

export interface VerifyParams {
  /** A corpus case: verified as it was loaded, and shown beside the kernel's answer. */
  id?: string;
  /** Or a program of your own. */
  hex?: string;
  progType?: ProgType;
  attach?: StructOpsAttachParam | null;
  logLevel?: 1 | 2;
  /** Or a model's member program, with the model's context, prologue and epilogue. */
  model?: ModelProgramParams;
  /** Or a program of a BPF object (base64 bytes): loaded as libbpf would, its C lines in the log. */
  object?: { base64: string; program: string };
}

/** The states at one insn of a corpus case or an own program (the Verifier view's state pane). */
export interface VerifyStatesParams {
  id?: string;
  hex?: string;
  progType?: ProgType;
  attach?: StructOpsAttachParam | null;
  /** The insn to show (default: the rejected one, else 0). */
  insn?: number;
}

export type { StatePane };

export interface VerifierStatesView {
  /** The program as loaded. */
  insns: PlainLine[];
  /** How many times do_check visited each insn (all explored paths). */
  visitCounts: number[];
  paths: number;
  verdict: 'accept' | 'reject';
  error: string | null;
  pane: StatePane;
}

/** A pasted verifier log, with the program it came from when known (a corpus case or hex). */
export interface KernelLogParams {
  log: string;
  id?: string;
  hex?: string;
  progType?: ProgType;
  attach?: StructOpsAttachParam | null;
  logLevel?: 1 | 2;
}

export type { ParsedVerifierLog };

export interface KernelLogView {
  parsed: ParsedVerifierLog;
  /** kmodel's log of the same program, and the first line (1-based) where the two differ. */
  model: {
    log: string;
    level: 1 | 2;
    firstDiff: { line: number; kernel: string | null; model: string | null } | null;
  } | null;
}

/** veristat rows for the corpus cases a query picks (the Stats view). */
export interface CorpusStatsParams {
  query?: string;
  limit?: number;
}

export type { ProgStats };

export interface CorpusStatsResult {
  /** Cases the query matched (rows holds the first `limit`). */
  total: number;
  rows: ProgStats[];
}

export interface VerifierAnswer {
  verdict: 'accept' | 'reject';
  errno: number;
  /** The log's reason line (rejections). */
  error: string | null;
  log: string;
  processedInsns: number | null;
  /** The program after the verifier's rewrites. */
  xlated: PlainLine[] | null;
  xlatedHex: string | null;
}

export interface VerifyView {
  id: string | null;
  /** A model's program (VerifyParams.model). */
  program?: ModelProgramInfo;
  bpf: PlainLine[];
  model: VerifierAnswer;
  /** What Linux 6.18 answered (corpus cases only). */
  kernel?: VerifierAnswer;
  /** Loads and stores through a pointer the verifier typed: the struct field they reach (`tcp_sock.snd_cwnd`), by insn index. */
  fields?: { idx: number; field: string }[];
  /** Model vs kernel: null where the comparison does not apply. */
  comparison?: {
    verdict: boolean;
    reason: boolean | null;
    processed: boolean | null;
    xlated: boolean | null;
  };
}

/** Where a listed model comes from: models/, a path given to `kmodel serve`, opened or saved here, recent. */
export type ModelOrigin = 'shipped' | 'given' | 'opened' | 'recent';

/** A model's one-line summary (home page): from core/model/summary.ts. */
export interface ModelCard {
  structOps: string;
  structFrom: 'decl' | 'btf';
  module: string | null;
  members: number;
  /** Members with a generated prologue / epilogue. */
  prologues: number;
  epilogues: number;
  kfuncs: number;
  wrappers: number;
  programs: number;
  /** The profile `model check` runs under. */
  profile: string;
  /** profile → call design of generated code (kfunc, wrapper, helper). */
  callDesign: Record<string, string>;
  /** The designs the generated code states under the model's profile (when call_design names none). */
  generatedDesigns: string[];
}

export interface ModelInfo {
  /**
   * The model's identifier, what openModel/compare/subsystemGraph and the routes take:
   * a shipped model's name (`qdisc`), or the absolute path of any other model file.
   */
  name: string;
  /** File name without .yaml (for titles). */
  label: string;
  /** `models/qdisc.yaml`, or the path. */
  file: string;
  /** Absolute path on the host. */
  path: string;
  origin: ModelOrigin;
  subsystem: string | null;
  title: string | null;
  errors: number;
  warnings: number;
  /** null when the model does not resolve. */
  card: ModelCard | null;
}

export interface ModelsResult {
  models: ModelInfo[];
}

export interface OpenModelResult {
  info: ModelInfo;
  summary: ModelSummary | null;
  diagnostics: ModelDiagnostic[];
  /** The YAML text. */
  source: string;
}

export interface CompareParams {
  name: string;
  profile?: 'v6.12' | 'v6.18' | 'bpf-next-2026' | 'auto';
  member?: string;
}

export interface CompareTable {
  member: string;
  designs: string[];
  kernelDesign: string | null;
  /** One metric per row, one value per design (the CLI's table); rows that differ first. */
  rows: { metric: string; values: string[]; same: boolean }[];
  /** The rows equal in every compared design, as one line; null when none. */
  same: string | null;
  /** Why a design has no numbers (not declared, not expressible and the kernel's error, no subsystem). */
  why: string[];
}

export interface CompareResult {
  comparison: ModelComparison;
  tables: CompareTable[];
  /** Whole-subsystem totals per design (member: 'totals'), each kernel function once. */
  totals: CompareTable;
  /** The comparison as Markdown (≤ 100 columns) and as text for a mail body (the CLI's own). */
  markdown: string;
  text: string;
  /** kmodel version, reference kernel and BTF sha256, profiles, date, model file sha256. */
  provenance: Provenance;
}

export interface DiffModelsParams {
  /** The model diffed from (a proposal) and to (its revision); the same one with two profiles. */
  a: string;
  b: string;
  profileA?: 'v6.12' | 'v6.18' | 'bpf-next-2026' | 'auto';
  profileB?: 'v6.12' | 'v6.18' | 'bpf-next-2026' | 'auto';
}

export interface DiffModelsResult {
  diff: ModelDiff;
  /** `kmodel diff`'s own Markdown. */
  markdown: string;
  /** B's subsystem graph, and what the diff marks on it. */
  graph: SubsystemGraph;
  marks: {
    /** Node id → added (not in A) or changed (its facts differ). */
    nodes: Record<string, 'added' | 'changed'>;
    /** Edge id (in B's graph) → added. */
    edges: Record<string, 'added'>;
    /** What A had and B has not. */
    removedNodes: { id: string; label: string; kind: string }[];
    removedEdges: string[];
  };
}

/** Node kinds of the subsystem graph. */
export type SubsystemNodeKind =
  | 'struct_ops'
  | 'member'
  | 'program'
  | 'kfunc_set'
  | 'kfunc'
  | 'wrapper'
  | 'helper'
  | 'kernel_func'
  | 'module';

/**
 * Edge kinds: has (struct → member, set → kfunc), implements (member → program),
 * calls (program → kfunc/helper), generated (pro/epilogue call, by mechanism),
 * wraps (BPF_CALL_N wrapper → the function it wraps), module-ref (reference a
 * program or the struct_ops map holds on a module).
 */
export type SubsystemEdgeKind = 'has' | 'implements' | 'calls' | 'generated' | 'wraps' | 'module-ref';

export interface SubsystemNode {
  /** Unique: '<kind>:<name>' (a kfunc and its wrapper may share a name). */
  id: string;
  kind: SubsystemNodeKind;
  label: string;
  /** KF_* flags, 'hidden', 'sleepable', 'data', 'BPF_CALL_2', … */
  badges: string[];
  /** Cluster id: 'vmlinux', 'module:<name>' or 'bpf' (the loaded programs). */
  cluster: string;
  /** Key/value facts for the details panel. */
  details: { key: string; value: string }[];
  /** Where the details panel leads: the program in the Verifier/JIT views, a type of the reference BTF. */
  links?: SubsystemNodeLink[];
  /** The model's review notes on this node (`review:` entries whose `on` names it). */
  review?: SubsystemReviewNote[];
}

export interface SubsystemReviewNote {
  /** Place in the model's `review:` list (what an edit names). */
  index: number;
  note: string;
  by: string | null;
  status: 'open' | 'resolved';
}

export interface SubsystemNodeLink {
  kind: 'verifier' | 'jit' | 'btf';
  label: string;
  /** verifier / jit: the model's program. */
  program?: string;
  /** btf: a type id of the reference vmlinux BTF (what the BTF view shows). */
  btfId?: number;
}

export interface SubsystemEdge {
  id: string;
  from: string;
  to: string;
  kind: SubsystemEdgeKind;
  /** Call mechanism for calls and generated edges. */
  mechanism?: 'kfunc' | 'wrapper' | 'helper';
  /** Generated edges: the design the model states for this profile (others are alternatives). */
  active?: boolean;
  label?: string;
}

export interface SubsystemCluster {
  id: string;
  kind: 'vmlinux' | 'module' | 'bpf';
  label: string;
}

export interface SubsystemProgram {
  name: string;
  member: string;
  /** The program as written (verifier-log syntax, `N: insn`). */
  bpf: string[];
  /** After the modeled verifier's patching (pro/epilogue, fixups) under `design`; null when it failed. */
  patched: string[] | null;
  design: string | null;
  error?: string;
}

export interface SubsystemGraph {
  name: string;
  title: string;
  subsystem: string;
  structOps: string;
  module: string | null;
  profile: string;
  clusters: SubsystemCluster[];
  nodes: SubsystemNode[];
  edges: SubsystemEdge[];
  programs: SubsystemProgram[];
  /** kmodel, reference kernel and BTF sha256, the model's profile, date, model sha256 (subsystemGraph only). */
  provenance?: Provenance;
}

/** A model file opened for editing (openModelFile, newModel). */
export interface ModelDocumentResult {
  /** Absolute path; null for a new, never saved document. */
  path: string | null;
  /** File name shown in titles (`untitled.yaml` for a new document). */
  name: string;
  text: string;
  /** sha256 of the text on disk (what saveModel's expectedHash and modelFileStatus take); null when new. */
  hash: string | null;
  mtimeMs: number | null;
  diagnostics: ModelDiagnostic[];
}

/** The new-model wizard's answers (main/api/new-model.ts writes the skeleton). */
export interface NewModelParams {
  subsystem: string;
  /** The struct_ops type: a struct of the reference BTF (from 'btf') or a new one (declared). */
  structOps: string;
  from: 'btf' | 'declared';
}

export interface ValidateModelResult {
  diagnostics: ModelDiagnostic[];
  errors: number;
  warnings: number;
  /** Asked with graph: true: the subsystem graph of the text; null when it does not resolve. */
  graph?: SubsystemGraph | null;
}

export interface SaveModelParams {
  /** Absolute path of a .yaml/.yml file (see FileAccess for what a host allows). */
  path: string;
  text: string;
  /** Hash of the file as opened; null = the file must not exist yet (Save As). Omit to skip the check. */
  expectedHash?: string | null;
  /** Overwrite even if the file changed on disk since it was opened. */
  force?: boolean;
}

export interface SaveModelResult {
  path: string;
  hash: string;
  mtimeMs: number;
  diagnostics: ModelDiagnostic[];
}

export interface ModelFileStatus {
  path: string;
  exists: boolean;
  /** The file's content differs from the given hash. */
  changed: boolean;
  hash: string | null;
  mtimeMs: number | null;
}

/** A BPF ELF object (clang `*.bpf.o`): its bytes, base64, and the file name to show. */
export interface OpenObjectParams {
  base64: string;
  name?: string;
}

/** One line_info record: the C source line an instruction starts. */
export interface SourceLine {
  /** Instruction (slot) index in the loaded program. */
  idx: number;
  file: string;
  line: number;
  col: number;
  text: string;
}

export interface ObjectProgramView {
  name: string;
  section: string;
  progType: string | null;
  attach: { struct: string; member: string } | null;
  /** The program as BPF_PROG_LOAD gets it (little-endian hex). */
  hex: string;
  /** Listing (maps and kfuncs by name) and graph, as `disasm` gives them. */
  listing: DisasmResult;
  source: SourceLine[];
}

export interface ObjectView {
  name: string;
  license: string;
  littleEndian: boolean;
  programs: ObjectProgramView[];
}

/** Every method of the API, each taking one params object and returning a promise. */
export interface KmodelApi {
  version(params?: Record<string, never>): Promise<VersionResult>;
  disasm(params: DisasmParams): Promise<DisasmResult>;
  samples(params: SamplesParams): Promise<SamplesResult>;
  sample(params: SampleParams): Promise<SampleCase>;
  /** The name index the BTF browser searches in the renderer (fetched once). */
  btfNames(params?: Record<string, never>): Promise<BtfNameIndex>;
  btfType(params: { id: number }): Promise<BtfTypeDetail>;
  jit(params: JitParams): Promise<JitView>;
  verify(params: VerifyParams): Promise<VerifyView>;
  /** Every verifier state that reached one insn, on all explored paths. */
  verifyStates(params: VerifyStatesParams): Promise<VerifierStatesView>;
  /** A verifier log read back into its insn stream and states (and kmodel's log beside it). */
  kernelLog(params: KernelLogParams): Promise<KernelLogView>;
  /** `kmodel stats` over the corpus cases a query picks. */
  corpusStats(params: CorpusStatsParams): Promise<CorpusStatsResult>;
  listModels(params?: Record<string, never>): Promise<ModelsResult>;
  openModel(params: { name: string }): Promise<OpenModelResult>;
  compare(params: CompareParams): Promise<CompareResult>;
  /** `kmodel diff` in the app: items and costs added/removed/changed, marked on B's graph. */
  diffModels(params: DiffModelsParams): Promise<DiffModelsResult>;
  subsystemGraph(params: { name: string }): Promise<SubsystemGraph>;
  /** A model file by absolute path, or a shipped model by name (`qdisc`). */
  openModelFile(params: { path: string }): Promise<ModelDocumentResult>;
  /** An untitled document: the template model, or the wizard's skeleton for one struct_ops type. */
  newModel(params?: Record<string, never> | NewModelParams): Promise<ModelDocumentResult>;
  validateModelText(params: { text: string; path?: string; graph?: boolean }): Promise<ValidateModelResult>;
  saveModel(params: SaveModelParams): Promise<SaveModelResult>;
  modelFileStatus(params: { path: string; hash: string | null }): Promise<ModelFileStatus>;
  /** A BPF object's programs as loaded, with their C source lines (line_info). */
  openObject(params: OpenObjectParams): Promise<ObjectView>;
}

export type ApiMethod = keyof KmodelApi;
export type ApiParams<M extends ApiMethod> = Parameters<KmodelApi[M]>[0];
export type ApiResult<M extends ApiMethod> = Awaited<ReturnType<KmodelApi[M]>>;

/**
 * How far a long call is, sent while it runs (the verifier: processed insns against the
 * 1M-insn limit, states kept so far, the insn being checked; core/verifier/progress.ts).
 */
export interface CallProgress {
  processed: number;
  limit: number;
  states: number;
  peakStates: number;
  insn: number;
}

/** The wire form of every answer (IPC and HTTP alike). */
export type ApiEnvelope<T = unknown> = { ok: true; result: T } | { ok: false; error: ApiErrorInfo };

export interface ApiErrorInfo {
  /**
   * bad-request: the params failed validation; not-found: they name something that does not exist;
   * timeout: a long call ran past its deadline; cancelled: the caller gave up on it.
   */
  code: 'bad-request' | 'not-found' | 'unknown-method' | 'internal' | 'timeout' | 'cancelled';
  message: string;
}

/** Method names, for transports that must enumerate them (kept in sync by a test). */
export const API_METHODS = [
  'version',
  'disasm',
  'samples',
  'sample',
  'btfNames',
  'btfType',
  'jit',
  'verify',
  'verifyStates',
  'kernelLog',
  'corpusStats',
  'listModels',
  'openModel',
  'compare',
  'diffModels',
  'subsystemGraph',
  'openModelFile',
  'newModel',
  'validateModelText',
  'saveModel',
  'modelFileStatus',
  'openObject',
] as const satisfies readonly ApiMethod[];
