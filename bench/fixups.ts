// Fixups: time to rewrite every accepted public corpus program (aux from the sketch in
// core/verifier/fixups/aux-sketch), and how many come out byte-exact.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import { parseBtf } from '../core/btf/btf';
import { BtfRegistry } from '../core/btf/registry';
import { insnsFromHex } from '../core/isa/encoding';
import { x86_64AddressSpace } from '../core/kernel/address-space';
import { sketchAux } from '../core/verifier/fixups/aux-sketch';
import { bpfInsnPrepareDump, runFixups } from '../core/verifier/fixups/index';
import { type ProgTypeName, verifierOpsFor } from '../core/verifier/progtypes/index';
import type { BenchRow, BenchSuite } from './types';

const root = join(import.meta.dirname, '..');

export const run: BenchSuite = async () => {
  const btf = new BtfRegistry(parseBtf(gunzipSync(readFileSync(join(root, 'assets/vmlinux.btf.gz')))));
  const cases = readFileSync(join(root, 'test/fixtures/corpus/cases.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((c) => c.kernel.verdict === 'accept');
  const as = x86_64AddressSpace();
  const prepared = cases.map((c) => {
    const insns = insnsFromHex(c.insns);
    const attach = c.attach
      ? { struct: c.attach.struct, member: c.attach.member, memberIndex: c.attach.member_index }
      : null;
    const ops = verifierOpsFor(c.prog_type as ProgTypeName, { btf, attach, addressSpace: as });
    return { c, insns, ops, sk: sketchAux(insns, ops, c.prog_type) };
  });
  let exact = 0;
  const t0 = performance.now();
  for (const { c, insns, ops, sk } of prepared) {
    const out = runFixups({
      insns,
      aux: sk.aux,
      subprogs: sk.subprogs,
      ops,
      progType: c.prog_type,
      seenDirectWrite: sk.seenDirectWrite,
      maps: c.maps.map((m: { type: string; key_size: number; value_size: number; max_entries: number }) => ({
        type: m.type,
        keySize: m.key_size,
        valueSize: m.value_size,
        maxEntries: m.max_entries,
      })),
      btf,
      addressSpace: as,
    });
    const dump = bpfInsnPrepareDump(
      out.insns,
      out.subprogs.map((s) => s.start),
    );
    const want = insnsFromHex(c.kernel.xlated);
    if (dump.length === want.length && dump.every((x, i) => JSON.stringify(x) === JSON.stringify(want[i])))
      exact++;
  }
  const ms = performance.now() - t0;
  const rows: BenchRow[] = [
    { area: 'fixups', what: `rewrite ${prepared.length} accepted corpus programs`, value: ms, unit: 'ms' },
    { area: 'fixups', what: 'byte-exact xlated (sketched aux)', value: exact, unit: `of ${prepared.length}` },
  ];
  return rows;
};
