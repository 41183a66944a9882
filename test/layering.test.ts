// Dependencies point one way: core ← main/cli ← renderer (through API types only).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '..');

interface ImportRef {
  file: string;
  spec: string;
  typeOnly: boolean;
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'out') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    // Tests may use node, vitest and fixtures; the rules are for shipped code.
    else if (/\.(ts|svelte|mjs|js)$/.test(name) && !/\.(test|bench)\.ts$/.test(name)) out.push(p);
  }
  return out;
}

const importRe =
  /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

export function importsOf(file: string): ImportRef[] {
  const text = readFileSync(file, 'utf8');
  const refs: ImportRef[] = [];
  for (const m of text.matchAll(importRe)) {
    const spec = m[3] ?? m[4];
    if (!spec) continue;
    refs.push({ file, spec, typeOnly: Boolean(m[2]) });
  }
  return refs;
}

/** Top-level folder a relative import lands in, or the package name. */
function target(ref: ImportRef): { kind: 'local'; top: string; path: string } | { kind: 'package'; name: string } {
  if (ref.spec.startsWith('.')) {
    const abs = resolve(dirname(ref.file), ref.spec);
    const rel = relative(root, abs);
    return { kind: 'local', top: rel.split(/[\\/]/)[0]!, path: rel };
  }
  const parts = ref.spec.split('/');
  const name = ref.spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
  return { kind: 'package', name };
}

// Pure-JS packages core may use; anything Node-, DOM- or Electron-bound stays out.
const corePackages = new Set(['yaml', 'fflate', 'zod']);

function violations(dir: string, check: (ref: ImportRef) => string | undefined): string[] {
  const found: string[] = [];
  for (const file of walk(join(root, dir))) {
    for (const ref of importsOf(file)) {
      const why = check(ref);
      if (why) found.push(`${relative(root, file)}: '${ref.spec}' ${why}`);
    }
  }
  return found;
}

describe('dependency direction', () => {
  it('core imports only core and pure-JS packages', () => {
    const v = violations('core', (ref) => {
      const t = target(ref);
      if (t.kind === 'local') return t.top === 'core' ? undefined : `reaches ${t.top}/ from core`;
      if (t.name.startsWith('node:') || !corePackages.has(t.name)) return 'is not allowed in core';
      return undefined;
    });
    expect(v).toEqual([]);
  });

  it('cli does not import electron or the renderer', () => {
    const v = violations('cli', (ref) => {
      const t = target(ref);
      if (t.kind === 'package' && t.name === 'electron') return 'is electron';
      if (t.kind === 'local' && t.top === 'renderer') return 'reaches into the renderer';
      if (t.kind === 'local' && (t.path === 'main/index' || t.path.startsWith('main/preload')))
        return 'reaches the electron entry points';
      return undefined;
    });
    expect(v).toEqual([]);
  });

  it('main does not import the renderer or the cli', () => {
    const v = violations('main', (ref) => {
      const t = target(ref);
      if (t.kind === 'local' && (t.top === 'renderer' || t.top === 'cli')) return `reaches ${t.top}/`;
      return undefined;
    });
    expect(v).toEqual([]);
  });

  it('renderer reaches main and core only through type imports of main/api', () => {
    const v = violations('renderer', (ref) => {
      const t = target(ref);
      if (t.kind === 'package') return ['electron'].includes(t.name) || t.name.startsWith('node:') ? 'is not for the renderer' : undefined;
      if (t.top === 'renderer') return undefined;
      if (t.path.startsWith('main/api') && ref.typeOnly) return undefined;
      return `reaches ${t.path} (only 'import type' from main/api is allowed)`;
    });
    expect(v).toEqual([]);
  });

  it('code is generated at run time only by the interpreter compiler (the renderer CSP forbids eval)', () => {
    const evalRe = /\bnew Function\(|(?<![.\w])eval\(/;
    const users = ['core', 'cli', 'main', 'renderer']
      .flatMap((dir) => walk(join(root, dir)))
      .filter((f) => evalRe.test(readFileSync(f, 'utf8')))
      .map((f) => relative(root, f));
    expect(users).toEqual(['core/isa/interp-compile.ts']);
    expect(evalRe.test('const f = new Function("x", src);')).toBe(true);
  });

  it('catches a violation (the check itself works)', () => {
    const fake: ImportRef = { file: join(root, 'core/isa/x.ts'), spec: '../../main/api/types', typeOnly: false };
    expect(target(fake)).toEqual({ kind: 'local', top: 'main', path: 'main/api/types' });
  });
});
