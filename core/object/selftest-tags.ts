// Kernel-selftest annotations of a program (`__success`, `__msg("…")`, `__retval(N)` …),
// read back from the BTF decl tags the selftest header puts on the program's FUNC:
// "comment:<key>[=<value>]", or "comment:<counter>:<key>[=<value>]" where the counter
// (__COUNTER__) keeps the annotations in source order whatever order the BTF has.
import type { Btf } from '../btf/btf';

export interface SelftestSpec {
  program: string;
  description?: string;
  /** Load outcome the test expects (default: success). */
  expect: 'success' | 'failure';
  /** Log messages, matched in order; `{{…}}` parts are regular expressions. */
  msgs: string[];
  /** Xlated program lines, matched in order as line prefixes. */
  xlated: string[];
  /** Text of __retval (a number, or a name such as POINTER_VALUE). */
  retval?: string;
  logLevel?: number;
  /** __flag(…) names (BPF_F_*). */
  flags: string[];
  /** Helper programs of other tests, not tests themselves. */
  auxiliary: boolean;
  /** Annotations this reader does not model (the unpriv variants, arch, caps…), as written. */
  unmodelled: string[];
}

const TAG = /^comment:(?:(\d+):)?(\w+)(?:=([\s\S]*))?$/;

/** The annotated programs of an object's BTF, by FUNC name; programs without tags are absent. */
export function selftestSpecs(btf: Btf): Map<string, SelftestSpec> {
  const tags = new Map<string, { order: number; key: string; value: string | undefined }[]>();
  for (let id = 1; id < btf.typeCount; id++) {
    if (btf.kindNameOf(id) !== 'DECL_TAG') continue;
    const t = btf.type(id) as { type: number; componentIdx: number };
    if (t.componentIdx !== -1 || btf.kindNameOf(t.type) !== 'FUNC') continue;
    const m = TAG.exec(btf.nameOf(id));
    if (!m) continue;
    const fn = btf.nameOf(t.type);
    const list = tags.get(fn) ?? [];
    list.push({ order: m[1] !== undefined ? Number(m[1]) : id, key: m[2]!, value: m[3] });
    tags.set(fn, list);
  }
  const out = new Map<string, SelftestSpec>();
  for (const [program, list] of tags) {
    const spec: SelftestSpec = {
      program,
      expect: 'success',
      msgs: [],
      xlated: [],
      flags: [],
      auxiliary: false,
      unmodelled: [],
    };
    for (const { key, value } of list.sort((a, b) => a.order - b.order)) {
      if (key === 'test_expect_success') spec.expect = 'success';
      else if (key === 'test_expect_failure') spec.expect = 'failure';
      else if (key === 'test_expect_msg' && value !== undefined) spec.msgs.push(value);
      else if (key === 'test_expect_xlated' && value !== undefined) spec.xlated.push(value);
      else if (key === 'test_retval' && value !== undefined) spec.retval = value;
      else if (key === 'test_description' && value !== undefined) spec.description = value;
      else if (key === 'test_log_level' && value !== undefined) spec.logLevel = Number(value);
      else if (key === 'test_prog_flags' && value !== undefined) spec.flags.push(value);
      else if (key === 'test_auxiliary') spec.auxiliary = true;
      else spec.unmodelled.push(value === undefined ? key : `${key}=${value}`);
    }
    out.set(program, spec);
  }
  return out;
}

/** A message pattern as a regular expression: literal text, `{{…}}` parts as written. */
export function selftestPattern(text: string): RegExp {
  let src = '';
  let rest = text;
  for (;;) {
    const open = rest.indexOf('{{');
    const close = open < 0 ? -1 : rest.indexOf('}}', open + 2);
    if (close < 0) break;
    src += rest.slice(0, open).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    src += `(?:${rest.slice(open + 2, close)})`;
    rest = rest.slice(close + 2);
  }
  src += rest.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(src, 'g');
}

/**
 * test_loader's check: each pattern found after the previous one's match.
 * Returns the first pattern not found (null when all are).
 */
export function firstUnmatched(haystack: string, patterns: readonly string[]): string | null {
  let from = 0;
  for (const p of patterns) {
    const re = selftestPattern(p);
    re.lastIndex = from;
    const m = re.exec(haystack);
    if (!m) return p;
    from = m.index + m[0].length;
  }
  return null;
}

/** `__xlated` check: each pattern matches the start of a line after the previous match's line. */
export function firstUnmatchedLine(lines: readonly string[], patterns: readonly string[]): string | null {
  let at = 0;
  for (const p of patterns) {
    const re = new RegExp(`^(?:${selftestPattern(p).source})`);
    while (at < lines.length && !re.test(lines[at]!)) at++;
    if (at === lines.length) return p;
    at++;
  }
  return null;
}
