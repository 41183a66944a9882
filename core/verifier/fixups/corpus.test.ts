// Fixups against the reference kernel: for every accepted public corpus program, recover
// the insn aux data with a small sketch (aux-sketch.test-util), run the fixups and
// compare with the kernel's xlated dump, calls by symbol through the address space.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../../btf/btf';
import { BtfRegistry } from '../../btf/registry';
import { decodeInsns } from '../../isa/encoding';
import type { Insn } from '../../isa/insn';
import { x86_64AddressSpace } from '../../kernel/address-space';
import { type ProgTypeName, verifierOpsFor } from '../progtypes';
import { bpfInsnPrepareDump, runFixups } from '.';
import { sketchAux } from './aux-sketch';

const root = join(__dirname, '../../..');
const btf = new BtfRegistry(parseBtf(gunzipSync(readFileSync(join(root, 'assets/vmlinux.btf.gz')))));

interface Case {
  id: string;
  origin: string;
  prog_type: ProgTypeName;
  attach: { struct: string; member: string | null; member_index: number } | null;
  maps: { type: string; key_size: number; value_size: number; max_entries: number }[];
  insns: string;
  kernel: {
    verdict: string;
    xlated: string | null;
    xlated_calls: { insn: number; kind: string; symbol: string | null; symbol_offset: number }[];
  };
}

const cases: Case[] = readFileSync(join(root, 'test/fixtures/corpus/cases.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));
const accepted = cases.filter((c) => c.kernel.verdict === 'accept');

const hex = (h: string): Uint8Array => Uint8Array.from(h.match(/../g)!.map((b) => Number.parseInt(b, 16)));
const enc = (i: Insn) => `${i.code}/${i.dst}/${i.src}/${i.off}/${i.imm}`;

function fixupCase(c: Case) {
  const as = x86_64AddressSpace();
  const insns = decodeInsns(hex(c.insns));
  const attach = c.attach
    ? { struct: c.attach.struct, member: c.attach.member, memberIndex: c.attach.member_index }
    : null;
  const ops = verifierOpsFor(c.prog_type, { btf, attach, addressSpace: as });
  const sk = sketchAux(insns, ops, c.prog_type);
  const out = runFixups({
    insns,
    aux: sk.aux,
    subprogs: sk.subprogs,
    ops,
    progType: c.prog_type,
    seenDirectWrite: sk.seenDirectWrite,
    maps: c.maps.map((m) => ({
      type: m.type,
      keySize: m.key_size,
      valueSize: m.value_size,
      maxEntries: m.max_entries,
    })),
    btf,
    addressSpace: as,
  });
  return {
    as,
    out,
    dump: bpfInsnPrepareDump(
      out.insns,
      out.subprogs.map((s) => s.start),
    ),
  };
}

describe('fixups vs the 6.18 corpus', () => {
  it('reproduces the xlated program of accepted corpus cases', () => {
    const byGroup = new Map<string, { ok: number; all: number }>();
    const failures: string[] = [];
    for (const c of accepted) {
      const g = `${c.origin}/${c.prog_type}`;
      const e = byGroup.get(g) ?? { ok: 0, all: 0 };
      e.all++;
      byGroup.set(g, e);
      let ok = false;
      try {
        const { dump } = fixupCase(c);
        const want = decodeInsns(hex(c.kernel.xlated!));
        ok = dump.length === want.length && dump.every((x, i) => enc(x) === enc(want[i]!));
      } catch (err) {
        failures.push(`${c.id}: ${(err as Error).message}`);
      }
      if (ok) e.ok++;
      else if (failures.length < 400) failures.push(c.id);
    }
    const total = [...byGroup.values()].reduce((a, b) => ({ ok: a.ok + b.ok, all: a.all + b.all }), {
      ok: 0,
      all: 0,
    });
    const lines = [...byGroup.entries()].map(([g, v]) => `${g}: ${v.ok}/${v.all}`);
    console.log(
      `fixups byte-exact: ${total.ok}/${total.all}\n${lines.join('\n')}\nmisses: ${failures.slice(0, 60).join(', ')}`,
    );
    // The sketch of do_check's aux is approximate (dead branches it cannot prove), so the
    // bar is high but not total.
    expect(total.ok / total.all).toBeGreaterThan(0.9);
  });

  it('names every xlated call the way the kernel does', () => {
    let checked = 0;
    for (const c of accepted) {
      if (!c.kernel.xlated_calls.some((x) => x.kind === 'helper' || x.kind === 'kfunc')) continue;
      const { as, dump } = fixupCase(c);
      // Calls are compared where the sketch's dead-code view matches the kernel's.
      if (dump.length !== c.kernel.xlated!.length / 16) continue;
      for (const call of c.kernel.xlated_calls) {
        if (call.kind !== 'helper' && call.kind !== 'kfunc') continue;
        const got = as.symbolForImm(dump[call.insn]!.imm);
        expect(got?.name, `${c.id} insn ${call.insn}`).toBe(call.symbol);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(250);
  });
});
