// Subsystem models for the app: the shipped YAML files under models/ and any model
// file the host may read (the paths given to `kmodel serve`, files opened or saved in
// the editor, recent files), checked against the reference BTF, summarized, and
// compared across call designs.
//
// A model is named by one identifier everywhere (API, routes, PDF export): a shipped
// model's name (`qdisc`), or the absolute path of any other model file. Paths pass
// FileAccess first, so an untrusted caller reaches only what the host allows.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { compareDesigns } from '../../core/analysis/compare';
import {
  comparisonRows,
  formatComparisonMarkdown,
  formatComparisonTable,
  kernelTextLines,
  sameLine,
  totalsRows,
  whyNotLines,
} from '../../core/analysis/format';
import type { Provenance } from '../../core/analysis/provenance';
import type { BtfRegistry } from '../../core/btf/registry';
import { type CheckResult, checkModel } from '../../core/model/check';
import { summarizeModel } from '../../core/model/summary';
import type { FileAccess } from '../host/documents';
import { objectReaderBeside } from '../host/model-objects';
import { makeProvenance, referenceBtfSha256 } from '../host/provenance';
import { pushRecent, readRecent, writeRecent } from '../host/recent';
import { findPackageRoot } from './handlers';
import { ApiError } from './schema';
import type {
  CompareParams,
  CompareResult,
  ModelCard,
  ModelInfo,
  ModelOrigin,
  ModelsResult,
  OpenModelResult,
} from './types';

const isModelFile = (f: string): boolean => /\.ya?ml$/i.test(f);

/** A folder's other YAML files (CI configs, …) are not listed: a model names its subsystem. */
function looksLikeModel(path: string): boolean {
  try {
    return /^subsystem\s*:/m.test(readFileSync(path, 'utf8').slice(0, 64 << 10));
  } catch {
    return false;
  }
}
const stem = (f: string): string => basename(f).replace(/\.ya?ml$/i, '');

/** A shipped model's name: a file name in models/, never a path. */
export const isShippedName = (ref: string): boolean => /^[\w.-]+$/.test(ref) && !ref.startsWith('.');

interface Located {
  /** What the API takes back: the shipped name or the absolute path. */
  id: string;
  path: string;
  /** Shown in lists and diagnostics: `models/qdisc.yaml` or the path. */
  file: string;
}

export interface ModelStoreOptions {
  /** Folders and files listed beside the shipped models (`kmodel serve PATH…`). */
  listed?: readonly string[];
  /** JSON list of recently used model files (the desktop app's userData); none under serve. */
  recentFile?: string;
}

export class ModelStore {
  private readonly checked = new Map<string, { stamp: string; result: CheckResult }>();
  /** Model files opened or saved in this session, newest first. */
  private opened: string[] = [];

  constructor(
    readonly dir: string,
    private readonly btf: () => BtfRegistry,
    private readonly access: FileAccess,
    private readonly opts: ModelStoreOptions = {},
  ) {}

  private shippedFiles(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir).filter(isModelFile).sort();
  }

  /** A model identifier → its file; throws not-found / bad-request. */
  locate(ref: string): Located {
    if (isShippedName(ref)) {
      const file = this.shippedFiles().find((f) => f === ref || stem(f) === ref);
      if (!file) throw new ApiError('not-found', `no model '${ref}' in models/`);
      return { id: stem(file), path: join(this.dir, file), file: `models/${file}` };
    }
    if (!isAbsolute(ref))
      throw new ApiError('bad-request', `model '${ref}': give a shipped model's name or an absolute path`);
    let path: string;
    try {
      path = this.access.check(ref);
    } catch (e) {
      throw new ApiError('bad-request', (e as Error).message);
    }
    if (resolve(dirname(path)) === resolve(this.dir)) return this.locate(stem(path));
    if (!existsSync(path) || !statSync(path).isFile())
      throw new ApiError('not-found', `no model file ${path}`);
    return { id: path, path, file: path };
  }

  private check(ref: string): { at: Located; result: CheckResult } {
    const at = this.locate(ref);
    const st = statSync(at.path);
    // Files outside models/ change under us (the editor, other tools): re-check on a new stamp.
    const stamp = `${st.mtimeMs}:${st.size}`;
    const hit = this.checked.get(at.path);
    if (hit && hit.stamp === stamp) return { at, result: hit.result };
    const result = checkModel(at.file, readFileSync(at.path, 'utf8'), {
      btf: this.btf(),
      readObject: objectReaderBeside(at.path),
    });
    this.checked.set(at.path, { stamp, result });
    return { at, result };
  }

  /** Drops cached checks (a model file was saved). */
  forget(): void {
    this.checked.clear();
  }

  /** Remembers a model file the user opened or saved (listed as opened; recent in the desktop app). */
  noteOpened(path: string): void {
    if (resolve(dirname(path)) === resolve(this.dir)) return;
    this.opened = pushRecent(this.opened, path);
    if (this.opts.recentFile)
      writeRecent(this.opts.recentFile, pushRecent(readRecent(this.opts.recentFile), path));
  }

  /** The checked model (for builders that need the resolved form, e.g. the subsystem graph). */
  result(ref: string): CheckResult {
    return this.check(ref).result;
  }

  /** The identifier the API uses for `ref` (a path into models/ becomes the shipped name). */
  idOf(ref: string): string {
    return this.locate(ref).id;
  }

  private info(ref: string, origin: ModelOrigin): ModelInfo {
    const { at, result: r } = this.check(ref);
    let card: ModelCard | null = null;
    if (r.resolved) {
      const s = summarizeModel(r);
      card = {
        structOps: s.structOps,
        structFrom: s.structFrom,
        module: s.module,
        members: s.members.length,
        prologues: s.members.filter((m) => m.prologue).length,
        epilogues: s.members.filter((m) => m.epilogue).length,
        kfuncs: s.kfuncs.length,
        wrappers: s.wrappers.length,
        programs: s.programs.length,
        profile: s.profile,
        callDesign: s.callDesign,
        generatedDesigns: [
          ...new Set(s.members.flatMap((x) => [x.prologue?.design, x.epilogue?.design]).filter((d) => !!d)),
        ] as string[],
      };
    }
    return {
      name: at.id,
      label: stem(at.path),
      file: at.file,
      path: at.path,
      origin,
      subsystem: r.model?.subsystem ?? null,
      title: r.model?.title ?? null,
      errors: r.diagnostics.filter((d) => d.severity === 'error').length,
      warnings: r.diagnostics.filter((d) => d.severity === 'warning').length,
      card,
    };
  }

  /** Model files named by the host: each listed file, and the model files at the top of each listed folder. */
  private listedFiles(): string[] {
    const out: string[] = [];
    for (const p of this.opts.listed ?? []) {
      try {
        if (statSync(p).isDirectory())
          out.push(
            ...readdirSync(p)
              .filter((f) => isModelFile(f) && !f.startsWith('.'))
              .sort()
              .map((f) => join(p, f))
              .filter(looksLikeModel),
          );
        else if (isModelFile(p)) out.push(p);
      } catch {
        // gone since the server started
      }
    }
    return out;
  }

  list(): ModelsResult {
    const seen = new Set<string>();
    const models: ModelInfo[] = [];
    const add = (ref: string, origin: ModelOrigin) => {
      let info: ModelInfo;
      try {
        info = this.info(ref, origin);
      } catch {
        return; // deleted, unreadable or no longer allowed: not listed
      }
      if (seen.has(info.path)) return;
      seen.add(info.path);
      models.push(info);
    };
    for (const f of this.shippedFiles()) add(stem(f), 'shipped');
    for (const f of this.listedFiles()) add(f, 'given');
    for (const f of this.opened) add(f, 'opened');
    if (this.opts.recentFile) for (const f of readRecent(this.opts.recentFile)) add(f, 'recent');
    return { models };
  }

  open(ref: string): OpenModelResult {
    const { at, result: r } = this.check(ref);
    const origin: ModelOrigin =
      at.id !== at.path ? 'shipped' : this.listedFiles().includes(at.path) ? 'given' : 'opened';
    return {
      info: this.info(ref, origin),
      summary: r.resolved ? summarizeModel(r) : null,
      diagnostics: r.diagnostics,
      source: readFileSync(at.path, 'utf8'),
    };
  }

  compare({ name, profile, member }: CompareParams): CompareResult {
    const r = this.result(name);
    if (!r.resolved)
      throw new ApiError('bad-request', `model '${name}' has errors; fix them before comparing`);
    let c: ReturnType<typeof compareDesigns>;
    try {
      c = compareDesigns(r, this.btf().vmlinux.btf, {
        ...(profile ? { profile } : {}),
        ...(member ? { member } : {}),
        referenceBtfSha256: referenceBtfSha256(),
      });
    } catch (e) {
      throw new ApiError('bad-request', `compare: ${(e as Error).message}`);
    }
    const designs = c.totals.map((t) => t.design);
    const totalsWhy = whyNotLines(c.totals);
    const totals = totalsRows(c.totals);
    return {
      comparison: c,
      tables: c.members.map((b) => {
        const rows = comparisonRows(b);
        const statuses = b.variants.map((v) => v.status);
        return {
          member: b.member,
          designs,
          kernelDesign: b.kernelDesign,
          rows,
          same: sameLine(rows, designs, statuses) ?? null,
          why: whyNotLines(b.variants).filter((l) => !totalsWhy.includes(l)),
        };
      }),
      totals: {
        member: 'totals',
        designs,
        kernelDesign: null,
        rows: totals,
        same:
          sameLine(
            totals,
            designs,
            c.totals.map((t) => t.status),
          ) ?? null,
        why: [...totalsWhy, ...kernelTextLines(c.totals)],
      },
      markdown: formatComparisonMarkdown(c),
      text: formatComparisonTable(c, { width: 72 }),
      provenance: this.provenance(name, Object.values(c.designProfiles)),
    };
  }

  /** What an export of `ref` names: kmodel, the reference kernel, `profiles`, the date, the file's sha256. */
  provenance(ref: string, profiles: readonly string[]): Provenance {
    const at = this.locate(ref);
    return makeProvenance(
      findPackageRoot(this.dir),
      { file: at.file, text: readFileSync(at.path, 'utf8') },
      profiles,
    );
  }
}
