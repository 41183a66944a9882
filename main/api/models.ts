// Subsystem models for the app: the shipped YAML files under models/, checked
// against the reference BTF, summarized, and compared across call designs.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compareDesigns } from '../../core/analysis/compare';
import { comparisonRows } from '../../core/analysis/format';
import type { BtfRegistry } from '../../core/btf/registry';
import { type CheckResult, checkModel } from '../../core/model/check';
import { summarizeModel } from '../../core/model/summary';
import { ApiError } from './schema';
import type { CompareParams, CompareResult, ModelInfo, ModelsResult, OpenModelResult } from './types';

export class ModelStore {
  private readonly checked = new Map<string, CheckResult>();

  constructor(
    readonly dir: string,
    private readonly btf: () => BtfRegistry,
  ) {}

  private files(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
      .sort();
  }

  /** A model by file name inside models/ (never a path: the renderer is untrusted). */
  private check(name: string): CheckResult {
    const file = this.files().find((f) => f === name || f.replace(/\.ya?ml$/, '') === name);
    if (!file) throw new ApiError('not-found', `no model '${name}' in models/`);
    let r = this.checked.get(file);
    if (!r) {
      r = checkModel(`models/${file}`, readFileSync(join(this.dir, file), 'utf8'), { btf: this.btf() });
      this.checked.set(file, r);
    }
    return r;
  }

  /** Drops cached checks (a model file was saved). */
  forget(): void {
    this.checked.clear();
  }

  /** The checked model (for builders that need the resolved form, e.g. the subsystem graph). */
  result(name: string): CheckResult {
    return this.check(name);
  }

  private info(file: string): ModelInfo {
    const r = this.check(file);
    return {
      name: file.replace(/\.ya?ml$/, ''),
      file: `models/${file}`,
      subsystem: r.model?.subsystem ?? null,
      title: r.model?.title ?? null,
      errors: r.diagnostics.filter((d) => d.severity === 'error').length,
      warnings: r.diagnostics.filter((d) => d.severity === 'warning').length,
    };
  }

  list(): ModelsResult {
    return { models: this.files().map((f) => this.info(f)) };
  }

  open(name: string): OpenModelResult {
    const r = this.check(name);
    const file = r.file.replace(/^models\//, '');
    return {
      info: this.info(file),
      summary: r.resolved ? summarizeModel(r) : null,
      diagnostics: r.diagnostics,
      source: readFileSync(join(this.dir, file), 'utf8'),
    };
  }

  compare({ name, profile, member }: CompareParams): CompareResult {
    const r = this.check(name);
    if (!r.resolved)
      throw new ApiError('bad-request', `model '${name}' has errors; fix them before comparing`);
    let c: ReturnType<typeof compareDesigns>;
    try {
      c = compareDesigns(r, this.btf().vmlinux.btf, {
        ...(profile ? { profile } : {}),
        ...(member ? { member } : {}),
      });
    } catch (e) {
      throw new ApiError('bad-request', `compare: ${(e as Error).message}`);
    }
    return {
      comparison: c,
      tables: c.members.map((b) => ({
        member: b.member,
        designs: b.variants.map((v) => v.design),
        kernelDesign: b.kernelDesign,
        rows: comparisonRows(b),
      })),
    };
  }
}
