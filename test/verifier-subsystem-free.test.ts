// The verifier asks a struct_ops subsystem through one interface (BpfStructOps) and never
// names one: every subsystem rule lives in its model (models/*.yaml).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = resolve(__dirname, '..');

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** Names that identify a shipped subsystem: its id, struct_ops type and kernel source files. */
function subsystemNames(): string[] {
  const names = new Set<string>();
  for (const f of readdirSync(join(root, 'models')).filter((x) => x.endsWith('.yaml'))) {
    const m = parse(readFileSync(join(root, 'models', f), 'utf8')) as {
      subsystem: string;
      struct_ops: { name: string };
      sources: string[];
    };
    names.add(m.subsystem);
    names.add(m.struct_ops.name);
    for (const s of m.sources) names.add(basename(s).replace(/\.[ch]$/, ''));
  }
  return [...names].filter((n) => n.length > 3);
}

describe('core/verifier names no struct_ops subsystem', () => {
  const words = subsystemNames();

  it('knows the shipped subsystems', () => {
    expect(words).toEqual(expect.arrayContaining(['tcp_congestion_ops', 'bpf_tcp_ca', 'Qdisc_ops']));
  });

  it.each(walk(join(root, 'core/verifier')).map((f) => [f.slice(root.length + 1), f]))('%s', (_rel, file) => {
    const text = readFileSync(file, 'utf8');
    const hits = words.filter((w) => new RegExp(`\\b${w}\\b`).test(text));
    expect(hits).toEqual([]);
  });
});
