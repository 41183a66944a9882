// Test support: the reference kernel's BTF registry and corpus lookups.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import { parseBtf } from '../../btf/btf';
import { BtfRegistry } from '../../btf/registry';
import { decodeInsns } from '../../isa/encoding';
import type { Insn } from '../../isa/insn';

export const repoRoot = join(__dirname, '../../..');

let registry: BtfRegistry | undefined;
export function vmlinuxRegistry(): BtfRegistry {
  registry ??= new BtfRegistry(parseBtf(gunzipSync(readFileSync(join(repoRoot, 'assets/vmlinux.btf.gz')))));
  return registry;
}

export interface CorpusCase {
  id: string;
  prog_type: string;
  insns: string;
  kernel: { verdict: string; xlated: string | null; log: string };
}

let cases: Map<string, CorpusCase> | undefined;
export function corpusCase(id: string): CorpusCase {
  cases ??= new Map(
    readFileSync(join(repoRoot, 'test/fixtures/corpus/cases.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const c = JSON.parse(l) as CorpusCase;
        return [c.id, c];
      }),
  );
  const c = cases.get(id);
  if (!c) throw new Error(`no corpus case ${id}`);
  return c;
}

export const insnsOf = (hex: string): Insn[] =>
  decodeInsns(Uint8Array.from(hex.match(/../g)!.map((b) => Number.parseInt(b, 16))));
