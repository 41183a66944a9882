// The API's implementations, backed by core. Node-side: they run in a worker
// thread (main/api/worker.ts) under Electron and under `kmodel serve`.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BtfRegistry } from '../../core/btf/registry';
import { buildCfg, insnStarts } from '../../core/isa/cfg';
import { type DisasmResolver, formatInsn } from '../../core/isa/disasm';
import { bytesToHex, encodeInsns, insnsFromHex } from '../../core/isa/encoding';
import { isLdImm64 } from '../../core/isa/insn';
import type { CorpusCase as VerifierCorpusCase } from '../../core/verifier/corpus';
import type { VerifierProgressSink } from '../../core/verifier/index';
import { loadReferenceVmlinuxBtfSync } from '../host/btf-files';
import { FileAccess } from '../host/documents';
import { BtfIndex } from './btf-index';
import { corpusStats } from './corpus-stats';
import { jitView } from './jit-view';
import { modelDiffView } from './model-diff';
import { ModelDocuments } from './model-documents';
import { memberJitView, memberVerifyView, runMemberProgram } from './model-program';
import { ModelStore } from './models';
import { objectJitView, objectVerifyView, objectView } from './object-view';
import { ApiError, parseParams } from './schema';
import { buildSubsystemGraph } from './subsystem-graph';
import type {
  ApiMethod,
  ApiParams,
  ApiResult,
  BtfNameIndex,
  BtfTypeDetail,
  CallProgress,
  CompareParams,
  CompareResult,
  CorpusStatsParams,
  CorpusStatsResult,
  DiffModelsParams,
  DiffModelsResult,
  DisasmParams,
  DisasmResult,
  JitParams,
  JitView,
  KernelLogParams,
  KernelLogView,
  ListingLine,
  ModelDocumentResult,
  ModelFileStatus,
  ModelProgramParams,
  ModelsResult,
  NewModelParams,
  ObjectView,
  OpenModelResult,
  OpenObjectParams,
  ProgType,
  SampleCase,
  SampleParams,
  SampleSummary,
  SamplesParams,
  SamplesResult,
  SaveModelParams,
  SaveModelResult,
  SubsystemGraph,
  ValidateModelResult,
  VerifierStatesView,
  VerifyParams,
  VerifyStatesParams,
  VerifyView,
  VersionResult,
} from './types';
import { API_METHODS } from './types';
import { kernelLogView, verifierStatesView } from './verifier-debug';
import { corpusCaseFields, verifyView } from './verify-view';

/** Walks up from `from` to the folder holding kmodel's package.json. */
export function findPackageRoot(from: string): string {
  let dir = from;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, 'utf8')).name === 'kmodel') return dir;
      } catch {
        // not ours; keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`kmodel's package.json not found above ${from}`);
    dir = up;
  }
}

interface RawCase {
  id: string;
  origin: string;
  prog_type: ProgType;
  attach: SampleCase['attach'];
  maps: SampleCase['maps'];
  insns: string;
  description: string;
  kernel: {
    release: string;
    verdict: 'accept' | 'reject';
    errno: number;
    log: string;
    processed_insns: number | null;
    xlated: string | null;
    jited: string | null;
  };
}

type Handlers = { [M in ApiMethod]: (params: ApiParams<M>) => ApiResult<M> | Promise<ApiResult<M>> };

export class ApiHandlers implements Handlers {
  private corpus?: RawCase[];
  private btfIndex?: BtfIndex;
  private registry?: BtfRegistry;
  private models?: ModelStore;
  private documents?: ModelDocuments;

  /**
   * `fileRoots`: where openModelFile/saveModel may reach: models/ plus these
   * (folders or files); null = any .yaml path (the desktop app, whose paths
   * come from native dialogs).
   */
  /** Told how far the running call's verification is (set by the worker for one call at a time). */
  progress: ((p: CallProgress) => void) | undefined;

  constructor(
    readonly root: string,
    readonly fileRoots: readonly string[] | null = [],
    /** recentModelsFile: the desktop app's list of recently used model files (JSON). */
    readonly options: { recentModelsFile?: string } = {},
  ) {}

  private fileAccess?: FileAccess;
  /** Where model paths may point: models/ plus fileRoots (or anywhere when null). */
  private access(): FileAccess {
    const models = this.file('models');
    this.fileAccess ??= new FileAccess(this.fileRoots === null ? null : [models, ...this.fileRoots]);
    return this.fileAccess;
  }

  private file(...parts: string[]): string {
    return join(this.root, ...parts);
  }

  private loadCorpus(): RawCase[] {
    if (!this.corpus) {
      const path = this.file('test/fixtures/corpus/cases.jsonl');
      if (!existsSync(path))
        throw new ApiError('internal', 'the corpus (test/fixtures/corpus/cases.jsonl) is missing');
      this.corpus = readFileSync(path, 'utf8')
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => JSON.parse(l) as RawCase);
    }
    return this.corpus;
  }

  /** The reference kernel's BTF (the corpus' BTF ids refer to it), indexed on first use. */
  private btf(): BtfIndex {
    this.btfIndex ??= new BtfIndex(loadReferenceVmlinuxBtfSync());
    return this.btfIndex;
  }

  private reg(): BtfRegistry {
    this.registry ??= new BtfRegistry(this.btf().btf);
    return this.registry;
  }

  private modelStore(): ModelStore {
    this.models ??= new ModelStore(this.file('models'), () => this.reg(), this.access(), {
      listed: this.fileRoots ?? [],
      ...(this.options.recentModelsFile ? { recentFile: this.options.recentModelsFile } : {}),
    });
    return this.models;
  }

  private docs(): ModelDocuments {
    const models = this.file('models');
    this.documents ??= new ModelDocuments(
      this.root,
      models,
      this.access(),
      () => this.reg(),
      (path) => {
        this.modelStore().forget();
        this.modelStore().noteOpened(path);
      },
    );
    return this.documents;
  }

  openModelFile(p: { path: string }): ModelDocumentResult {
    const d = this.docs().openModelFile(p);
    if (d.path) this.modelStore().noteOpened(d.path);
    return d;
  }

  newModel(p?: Partial<NewModelParams>): ModelDocumentResult {
    return this.docs().newModel(p ?? {});
  }

  validateModelText(p: { text: string; path?: string; graph?: boolean }): ValidateModelResult {
    return this.docs().validateModelText(p);
  }

  saveModel(p: SaveModelParams): SaveModelResult {
    return this.docs().saveModel(p);
  }

  modelFileStatus(p: { path: string; hash: string | null }): ModelFileStatus {
    return this.docs().modelFileStatus(p);
  }

  openObject({ base64, name = 'object.o' }: OpenObjectParams): ObjectView {
    const bytes = new Uint8Array(Buffer.from(base64, 'base64'));
    try {
      return objectView(name, bytes, this.btf().btf, (hex) => this.disasm({ hex }));
    } catch (e) {
      if (e instanceof Error && e.name === 'ObjectError')
        throw new ApiError('bad-request', `openObject: ${name}: ${e.message}`);
      throw e;
    }
  }

  listModels(): ModelsResult {
    return this.modelStore().list();
  }

  openModel({ name }: { name: string }): OpenModelResult {
    return this.modelStore().open(name);
  }

  compare(p: CompareParams): CompareResult {
    return this.modelStore().compare(p);
  }

  diffModels(p: DiffModelsParams): DiffModelsResult {
    return modelDiffView(this.modelStore(), this.reg().vmlinux.btf, p);
  }

  subsystemGraph({ name }: { name: string }): SubsystemGraph {
    const r = this.modelStore().result(name);
    if (!r.resolved)
      throw new ApiError('bad-request', `model '${name}' does not resolve; fix its errors first`);
    const g = buildSubsystemGraph(name, r, this.reg().vmlinux.btf);
    // Its PNG and SVG exports say what drew them.
    return { ...g, provenance: this.modelStore().provenance(name, [g.profile]) };
  }

  private progressSink(): VerifierProgressSink | undefined {
    const report = this.progress;
    return report ? { report } : undefined;
  }

  verify(p: VerifyParams): VerifyView {
    if (p.model) return memberVerifyView(this.memberRun(p.model));
    if (p.object) {
      try {
        return objectVerifyView(
          p.object.program,
          new Uint8Array(Buffer.from(p.object.base64, 'base64')),
          p,
          this.reg(),
        );
      } catch (e) {
        if (e instanceof Error && e.name === 'ObjectError')
          throw new ApiError('bad-request', `verify: ${e.message}`);
        throw e;
      }
    }
    this.reg();
    if (p.id !== undefined) {
      const c = this.corpusCase('verify', p.id) as unknown as VerifierCorpusCase;
      return verifyView(p, this.reg(), c, undefined, undefined, this.progressSink());
    }
    try {
      return verifyView(p, this.reg(), undefined, undefined, undefined, this.progressSink());
    } catch (e) {
      throw new ApiError('bad-request', `verify: ${(e as Error).message}`);
    }
  }

  verifyStates(p: VerifyStatesParams): VerifierStatesView {
    const c =
      p.id !== undefined
        ? (this.corpusCase('verifyStates', p.id) as unknown as VerifierCorpusCase)
        : undefined;
    try {
      return verifierStatesView(p, this.reg(), c);
    } catch (e) {
      throw new ApiError('bad-request', `verifyStates: ${(e as Error).message}`);
    }
  }

  kernelLog(p: KernelLogParams): KernelLogView {
    const c =
      p.id !== undefined ? (this.corpusCase('kernelLog', p.id) as unknown as VerifierCorpusCase) : undefined;
    try {
      return kernelLogView(p, this.reg(), c);
    } catch (e) {
      throw new ApiError('bad-request', `kernelLog: ${(e as Error).message}`);
    }
  }

  corpusStats(p: CorpusStatsParams): CorpusStatsResult {
    return corpusStats(this.loadCorpus() as unknown as VerifierCorpusCase[], p, this.reg());
  }

  btfNames(): BtfNameIndex {
    return this.btf().names();
  }

  btfType({ id }: { id: number }): BtfTypeDetail {
    const d = this.btf().detail(id);
    if (!d)
      throw new ApiError(
        'bad-request',
        `btfType: no type id ${id} (the BTF has ${this.btf().btf.typeCount})`,
      );
    return d;
  }

  version(): VersionResult {
    const pkg = JSON.parse(readFileSync(this.file('package.json'), 'utf8')) as { version: string };
    const releasePath = this.file('test/fixtures/kernel/release');
    return {
      kmodel: pkg.version,
      node: process.versions.node,
      kernel: existsSync(releasePath) ? readFileSync(releasePath, 'utf8').trim() : 'unknown',
      features: ['disasm', 'cfg', 'samples', 'btf', 'jit', 'verify', 'models', 'compare'],
    };
  }

  disasm({ hex, endian = 'le' }: DisasmParams): DisasmResult {
    let insns: ReturnType<typeof insnsFromHex>;
    try {
      insns = insnsFromHex(hex, endian);
    } catch (e) {
      throw new ApiError('bad-request', `disasm: ${(e as Error).message}`);
    }
    const cfg = buildCfg(insns);
    const blockOf = new Int32Array(insns.length);
    for (const b of cfg.blocks) blockOf.fill(b.id, b.start, b.end + 1);
    // Kfunc calls are named from the reference BTF, as the verifier log names them.
    const hasKfunc = insns.some((x) => x.code === 0x85 && x.src === 2);
    const resolver: DisasmResolver | undefined = hasKfunc
      ? {
          callName: (x) => {
            if (x.src !== 2 || x.off !== 0) return undefined;
            const btf = this.btf().btf;
            return x.imm > 0 && x.imm < btf.typeCount ? btf.nameOf(x.imm) || undefined : undefined;
          },
        }
      : undefined;
    const lines: ListingLine[] = insnStarts(insns).map((i) => {
      const slots = isLdImm64(insns[i]!) && i + 1 < insns.length ? 2 : 1;
      return {
        idx: i,
        slots,
        text: formatInsn(insns, i, resolver),
        hex: bytesToHex(encodeInsns(insns.slice(i, i + slots), endian)),
        block: blockOf[i]!,
      };
    });
    return { slots: insns.length, lines, cfg };
  }

  samples({ query, limit = 200 }: SamplesParams): SamplesResult {
    const q = query?.trim().toLowerCase();
    const all = this.loadCorpus();
    const hits = q
      ? all.filter(
          (c) => c.id.includes(q) || c.prog_type.includes(q) || c.description.toLowerCase().includes(q),
        )
      : all;
    return { total: hits.length, samples: hits.slice(0, limit).map(summary) };
  }

  private corpusCase(method: string, id: string): RawCase {
    const c = this.loadCorpus().find((x) => x.id === id);
    if (!c) throw new ApiError('bad-request', `${method}: no corpus case '${id}'`);
    return c;
  }

  jit({ id, model, object, syntax }: JitParams): JitView {
    if (model) return memberJitView(this.memberRun(model), syntax);
    if (object) {
      try {
        return objectJitView(
          object.program,
          new Uint8Array(Buffer.from(object.base64, 'base64')),
          this.reg(),
          syntax,
        );
      } catch (e) {
        if (e instanceof Error && e.name === 'ObjectError')
          throw new ApiError('bad-request', `jit: ${e.message}`);
        throw e;
      }
    }
    const c = this.corpusCase('jit', id!);
    const v = jitView(c as unknown as Parameters<typeof jitView>[0], syntax);
    const fields = v.jitted ? corpusCaseFields(c as unknown as VerifierCorpusCase, this.reg()) : [];
    return fields.length ? { ...v, fields } : v;
  }

  private memberRun(p: ModelProgramParams): ReturnType<typeof runMemberProgram> {
    const store = this.modelStore();
    return runMemberProgram(store.idOf(p.name), store.result(p.name), this.reg().vmlinux.btf, p);
  }

  sample({ id }: SampleParams): SampleCase {
    const c = this.corpusCase('sample', id);
    return {
      ...summary(c),
      hex: c.insns,
      attach: c.attach,
      maps: c.maps,
      kernel: {
        release: c.kernel.release,
        verdict: c.kernel.verdict,
        errno: c.kernel.errno,
        log: c.kernel.log,
        processedInsns: c.kernel.processed_insns,
        xlated: c.kernel.xlated,
        jited: c.kernel.jited,
      },
    };
  }
}

function summary(c: RawCase): SampleSummary {
  return {
    id: c.id,
    origin: c.origin,
    progType: c.prog_type,
    description: c.description,
    slots: c.insns.length / 16,
    verdict: c.kernel.verdict,
  };
}

/** Validates and runs one call; every failure becomes an ApiError. */
export async function dispatch(h: ApiHandlers, method: string, params: unknown): Promise<unknown> {
  if (!(API_METHODS as readonly string[]).includes(method)) {
    throw new ApiError('unknown-method', `unknown API method '${method}'`);
  }
  const m = method as ApiMethod;
  const p = parseParams(m, params);
  try {
    // biome-ignore lint/suspicious/noExplicitAny: the schema has checked p against m's params.
    return await (h[m] as (p: any) => unknown).call(h, p);
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw new ApiError('internal', `${method}: ${(e as Error).message ?? String(e)}`);
  }
}
