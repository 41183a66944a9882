// Loading a model file: YAML → positions → zod validation. Every problem becomes a
// ModelDiagnostic naming file, line and column, so `kmodel model check` can print
// `file:line:col: reason` like a compiler.
import {
  type Document,
  isCollection,
  isMap,
  isScalar,
  LineCounter,
  type Node,
  parseDocument,
  Scalar,
  visit,
} from 'yaml';
import type { z } from 'zod';
import { type Model, modelSchema } from './schema';

export type PathKey = string | number;

export interface ModelDiagnostic {
  file: string;
  line: number; // 1-based
  col: number; // 1-based
  message: string;
  severity: 'error' | 'warning';
}

export const formatDiagnostic = (d: ModelDiagnostic): string =>
  `${d.file}:${d.line}:${d.col}: ${d.severity === 'warning' ? 'warning: ' : ''}${d.message}`;

/** A parsed model file that can say where any value came from. */
export class ModelSource {
  readonly lines: LineCounter;
  readonly doc: Document;
  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.lines = new LineCounter();
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
  }

  private at(offset: number): { line: number; col: number } {
    const p = this.lines.linePos(Math.max(0, Math.min(offset, this.text.length)));
    return { line: p.line, col: p.col };
  }

  /** The deepest node along `path` (a missing key points at its parent). */
  node(path: readonly PathKey[]): Node | undefined {
    let best: Node | undefined = this.doc.contents ?? undefined;
    for (let i = 1; i <= path.length; i++) {
      const n = this.doc.getIn(path.slice(0, i), true) as Node | undefined;
      if (!n || typeof n !== 'object' || !('range' in n)) break;
      best = n;
    }
    return best;
  }

  /** Position of the value at `path`. */
  pos(path: readonly PathKey[]): { line: number; col: number } {
    const n = this.node(path);
    return this.at(n?.range?.[0] ?? 0);
  }

  /** Position of the key of the map entry at `path` (falls back to the value). */
  keyPos(path: readonly PathKey[]): { line: number; col: number } {
    const parent = this.doc.getIn(path.slice(0, -1), true);
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === path.at(-1));
      if (pair && isScalar(pair.key) && pair.key.range) return this.at(pair.key.range[0]);
    }
    return this.pos(path);
  }

  /**
   * Position of (line, col) — both 0-based — inside the string value at `path`.
   * Handles plain, quoted and block scalars (`|`), whose content starts on the
   * line after the indicator.
   */
  posIn(path: readonly PathKey[], line: number, col: number): { line: number; col: number } {
    const n = this.doc.getIn(path, true);
    if (!isScalar(n) || !n.range) return this.pos(path);
    const start = n.range[0];
    const type = n.type;
    if (type === Scalar.BLOCK_LITERAL || type === Scalar.BLOCK_FOLDED) {
      const header = this.at(start);
      const srcLines = this.text.split('\n');
      // Indentation of the block: that of its first non-empty content line.
      let indent = 0;
      for (let l = header.line; l < srcLines.length; l++) {
        const s = srcLines[l]!;
        if (s.trim() !== '') {
          indent = s.length - s.trimStart().length;
          break;
        }
      }
      return { line: header.line + 1 + line, col: indent + col + 1 };
    }
    const quote = type === Scalar.QUOTE_DOUBLE || type === Scalar.QUOTE_SINGLE ? 1 : 0;
    const p = this.at(start + quote);
    return line === 0 ? { line: p.line, col: p.col + col } : { line: p.line + line, col: col + 1 };
  }

  diag(path: readonly PathKey[], message: string, severity: 'error' | 'warning' = 'error'): ModelDiagnostic {
    return { file: this.file, ...this.pos(path), message, severity };
  }

  diagIn(
    path: readonly PathKey[],
    line: number,
    col: number,
    message: string,
    severity: 'error' | 'warning' = 'error',
  ): ModelDiagnostic {
    return { file: this.file, ...this.posIn(path, line, col), message, severity };
  }

  /** Position of a 0-based character offset inside a string value. */
  diagAt(path: readonly PathKey[], value: string, offset: number, message: string): ModelDiagnostic {
    const before = value.slice(0, offset).split('\n');
    return this.diagIn(path, before.length - 1, before.at(-1)!.length, message);
  }
}

export interface LoadedModel {
  source: ModelSource;
  model?: Model;
  diagnostics: ModelDiagnostic[];
}

function issueMessage(issue: z.core.$ZodIssue, present: boolean): string {
  const key = issue.path.at(-1);
  if (issue.code === 'unrecognized_keys')
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  if (issue.code === 'invalid_type' && !present) return `missing required key '${String(key)}'`;
  if (issue.code === 'invalid_value')
    return `${key !== undefined ? `${String(key)}: ` : ''}must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${key !== undefined ? `${String(key)}: ` : ''}${issue.message}`;
}

/**
 * `{ decl: int f(int a, int b) }`: in a flow mapping a comma ends the value, so YAML reads
 * `int b)` as a key without a value. Such keys (they hold spaces or C punctuation) are
 * reported where they start, with the value quoted as it was meant; returns them so the
 * schema's "unknown key" for the same text is not reported again.
 */
function flowCommaSplits(source: ModelSource): { diagnostics: ModelDiagnostic[]; keys: Set<string> } {
  const diagnostics: ModelDiagnostic[] = [];
  const keys = new Set<string>();
  const stray = (pair: { key: unknown; value: unknown }): pair is { key: Scalar; value: unknown } =>
    isScalar(pair.key) &&
    typeof pair.key.value === 'string' &&
    /[\s()*[\],]/.test(pair.key.value) &&
    (pair.value === null || (isScalar(pair.value) && pair.value.value === null));
  visit(source.doc, {
    Map(_, map) {
      if (!map.flow) return;
      map.items.forEach((pair, i) => {
        if (!stray(pair) || i === 0 || stray(map.items[i - 1]!)) return;
        // `pair` is the first stray key after the value it was cut from.
        const owner = map.items[i - 1]!;
        if (!isScalar(owner.key) || !isScalar(owner.value) || typeof owner.value.value !== 'string') return;
        const parts = [owner.value.value];
        for (let k = i; k < map.items.length && stray(map.items[k]!); k++) {
          const key = (map.items[k]!.key as Scalar).value as string;
          keys.add(key);
          parts.push(key);
        }
        const name = String(owner.key.value);
        const at = source.lines.linePos(pair.key.range?.[0] ?? 0);
        diagnostics.push({
          file: source.file,
          line: at.line,
          col: at.col,
          message: `a comma ends a value inside { … }: '${name}' stops at '${owner.value.value}' and '${parts.slice(1).join(', ')}' is read as a key; quote the value: ${name}: ${JSON.stringify(parts.join(', '))}`,
          severity: 'error',
        });
      });
    },
  });
  return { diagnostics, keys };
}

export interface LoadModelOptions {
  /**
   * Rewrites the parsed value before validation (programs and instances taken from BPF
   * objects, core/model/object-refs.ts); its diagnostics stop the load.
   */
  expand?: (value: unknown, source: ModelSource) => ModelDiagnostic[];
}

/** Parses and validates one model file. Never throws for bad input. */
export function loadModel(file: string, text: string, opts: LoadModelOptions = {}): LoadedModel {
  const source = new ModelSource(file, text);
  const diagnostics: ModelDiagnostic[] = [];
  for (const e of source.doc.errors) {
    const p = source.lines.linePos(e.pos[0]);
    diagnostics.push({
      file,
      line: p.line,
      col: p.col,
      message: e.message.split('\n')[0]!,
      severity: 'error',
    });
  }
  if (diagnostics.length > 0) return { source, diagnostics };
  if (!isCollection(source.doc.contents)) {
    diagnostics.push(source.diag([], 'a model is a YAML mapping'));
    return { source, diagnostics };
  }
  let value: unknown;
  try {
    value = source.doc.toJS();
  } catch (e) {
    // The yaml library refuses aliases that expand too far (a "billion laughs" file) only here.
    diagnostics.push(source.diag([], `YAML: ${(e as Error).message}`));
    return { source, diagnostics };
  }
  const splits = flowCommaSplits(source);
  diagnostics.push(...splits.diagnostics);
  if (opts.expand) {
    const expanded = opts.expand(value, source);
    if (expanded.length) return { source, diagnostics: [...diagnostics, ...expanded] };
  }
  const parsed = modelSchema.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys' && issue.keys.every((k) => splits.keys.has(k))) continue;
      const path = issue.path.filter((k): k is PathKey => typeof k !== 'symbol');
      // Unknown keys: point at the key itself rather than the enclosing map.
      const d =
        issue.code === 'unrecognized_keys' && issue.keys.length > 0
          ? {
              file,
              ...source.keyPos([...path, issue.keys[0]!]),
              message: issueMessage(issue, true),
              severity: 'error' as const,
            }
          : source.diag(path, issueMessage(issue, source.doc.hasIn(path)));
      diagnostics.push(d);
    }
    diagnostics.sort((a, b) => a.line - b.line || a.col - b.col);
    return { source, diagnostics };
  }
  // A split the schema accepts (a free-text field) is still an error: the text is cut short.
  if (diagnostics.length > 0) return { source, diagnostics };
  return { source, model: parsed.data, diagnostics };
}
