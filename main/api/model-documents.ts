// The API's model-document methods: open by path, new from the template,
// validate text as it is typed, save atomically with conflict detection, and
// the on-disk status the editor polls. Paths pass FileAccess first: under
// `kmodel serve` a browser may reach only models/ and the paths given on the
// command line, never an arbitrary file.

import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { BtfRegistry } from '../../core/btf/registry';
import { type CheckResult, checkModel } from '../../core/model/check';
import type { ModelDiagnostic } from '../../core/model/load';
import { DiskStateCache, DocumentError, diskState, type FileAccess, saveTextAtomic } from '../host/documents';
import { skeletonModel } from './new-model';
import { ApiError } from './schema';
import { buildSubsystemGraph } from './subsystem-graph';
import type {
  ModelDocumentResult,
  ModelFileStatus,
  NewModelParams,
  SaveModelParams,
  SaveModelResult,
  ValidateModelResult,
} from './types';

export const TEMPLATE = 'main/host/templates/new-model.yaml';

export class ModelDocuments {
  private readonly disk = new DiskStateCache();

  constructor(
    private readonly root: string,
    private readonly modelsDir: string,
    private readonly access: FileAccess,
    private readonly btf: () => BtfRegistry,
    /** Called after a save, so cached checks of that file are dropped. */
    private readonly saved: (path: string) => void = () => {},
  ) {}

  /** An absolute path, or a shipped model's name (`qdisc`, `qdisc.yaml`). */
  private resolvePath(method: string, path: string): string {
    let p = path;
    if (/^[\w.-]+$/.test(p)) p = join(this.modelsDir, /\.ya?ml$/.test(p) ? p : `${p}.yaml`);
    try {
      return this.access.check(p);
    } catch (e) {
      throw new ApiError('bad-request', `${method}: ${(e as Error).message}`);
    }
  }

  private check(text: string, file: string): CheckResult {
    let btf: BtfRegistry | undefined;
    try {
      btf = this.btf();
    } catch {
      // without the reference BTF, the file is still parsed and schema-checked
    }
    return checkModel(file, text, btf ? { btf } : {});
  }

  diagnose(text: string, file: string): ModelDiagnostic[] {
    return this.check(text, file).diagnostics;
  }

  openModelFile({ path }: { path: string }): ModelDocumentResult {
    const p = this.resolvePath('openModelFile', path);
    if (!existsSync(p)) throw new ApiError('bad-request', `openModelFile: ${p} does not exist`);
    let text: string;
    try {
      text = readFileSync(p, 'utf8');
    } catch (e) {
      throw new ApiError('bad-request', `openModelFile: cannot read ${p}: ${(e as Error).message}`);
    }
    const st = diskState(p);
    return {
      path: p,
      name: basename(p),
      text,
      hash: st.hash,
      mtimeMs: st.mtimeMs,
      diagnostics: this.diagnose(text, basename(p)),
    };
  }

  newModel(p: Partial<NewModelParams> = {}): ModelDocumentResult {
    let text: string;
    let name = 'untitled.yaml';
    if (p.subsystem && p.structOps && p.from) {
      let btf: BtfRegistry | undefined;
      try {
        btf = this.btf();
      } catch {
        // declared structs need no BTF; a BTF struct is refused below
      }
      try {
        text = skeletonModel({ subsystem: p.subsystem, structOps: p.structOps, from: p.from }, btf);
      } catch (e) {
        throw new ApiError('bad-request', `newModel: ${(e as Error).message}`);
      }
      name = `${p.subsystem}.yaml`;
    } else text = readFileSync(join(this.root, TEMPLATE), 'utf8');
    return {
      path: null,
      name,
      text,
      hash: null,
      mtimeMs: null,
      diagnostics: this.diagnose(text, name),
    };
  }

  validateModelText({
    text,
    path,
    graph,
  }: {
    text: string;
    path?: string;
    graph?: boolean;
  }): ValidateModelResult {
    const file = path ? basename(path) : 'untitled.yaml';
    const r = this.check(text, file);
    const diagnostics = r.diagnostics;
    const out: ValidateModelResult = {
      diagnostics,
      errors: diagnostics.filter((d) => d.severity === 'error').length,
      warnings: diagnostics.filter((d) => d.severity === 'warning').length,
    };
    // The editor's live preview: the graph of the text as typed, when it resolves.
    if (graph)
      out.graph = r.resolved
        ? buildSubsystemGraph(file.replace(/\.ya?ml$/i, ''), r, r.build?.emitter.base)
        : null;
    return out;
  }

  saveModel({ path, text, expectedHash, force }: SaveModelParams): SaveModelResult {
    const p = this.resolvePath('saveModel', path);
    let st: ReturnType<typeof saveTextAtomic>;
    try {
      st = saveTextAtomic(p, text, {
        ...(expectedHash !== undefined ? { expectedHash } : {}),
        ...(force ? { force } : {}),
      });
    } catch (e) {
      if (e instanceof DocumentError) throw new ApiError('bad-request', `saveModel: ${e.message}`);
      throw e;
    }
    this.saved(p);
    return {
      path: p,
      hash: st.hash!,
      mtimeMs: st.mtimeMs!,
      diagnostics: this.diagnose(text, basename(p)),
    };
  }

  modelFileStatus({ path, hash }: { path: string; hash: string | null }): ModelFileStatus {
    const p = this.resolvePath('modelFileStatus', path);
    const st = this.disk.state(p);
    return { path: p, exists: st.exists, changed: st.hash !== hash, hash: st.hash, mtimeMs: st.mtimeMs };
  }
}
