import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadReferenceVmlinuxBtfSync } from '../host/btf-files';
import { ApiHandlers } from './handlers';
import type { SubsystemGraph } from './types';

const root = resolve(__dirname, '../..');
const files = readdirSync(join(root, 'models')).filter((f) => f.endsWith('.yaml'));
const h = new ApiHandlers(root);

interface Yaml {
  owner: 'vmlinux' | { module: string };
  struct_ops: {
    name: string;
    members: { name: string; prologue?: { insns: string }; epilogue?: { insns: string } }[];
  };
  kfunc_sets: { name: string; kfuncs: { decl: string; flags?: string[]; hidden?: boolean }[] }[];
  wrappers?: { name: string; wraps: string; args: number }[];
  programs: { name: string; member: string; insns: string }[];
}

// Expected sets come from the YAML text, not from the code under test.
const kfuncName = (decl: string) => /(\w+)\s*\(/.exec(decl)![1]!;
const callsIn = (text: string) => [...text.matchAll(/^\s*call\s+(\w+)\s*(?:\/\/.*)?$/gm)].map((m) => m[1]!);
const ids = (g: SubsystemGraph, kind: string) =>
  g.nodes
    .filter((n) => n.kind === kind)
    .map((n) => n.label)
    .sort();

describe('buildSubsystemGraph on the shipped models', () => {
  it('ships models', () => expect(files.length).toBeGreaterThan(0));

  for (const f of files) {
    const name = f.replace(/\.yaml$/, '');
    it(`${name}: nodes and edges follow the YAML`, () => {
      const y = parse(readFileSync(join(root, 'models', f), 'utf8')) as Yaml;
      const g = h.subsystemGraph({ name });
      expect(g.structOps).toBe(y.struct_ops.name);
      expect(ids(g, 'member')).toEqual(y.struct_ops.members.map((m) => m.name).sort());
      expect(ids(g, 'program')).toEqual(y.programs.map((p) => p.name).sort());
      expect(ids(g, 'kfunc_set')).toEqual(y.kfunc_sets.map((s) => s.name).sort());
      const kfuncs = [...new Set(y.kfunc_sets.flatMap((s) => s.kfuncs.map((k) => kfuncName(k.decl))))].sort();
      expect(ids(g, 'kfunc')).toEqual(kfuncs);
      expect(ids(g, 'wrapper')).toEqual((y.wrappers ?? []).map((w) => w.name).sort());

      // KF_* flags as badges, hidden marked
      // (a kfunc in several sets is described by the first)
      const seen = new Set<string>();
      for (const s of y.kfunc_sets)
        for (const k of s.kfuncs) {
          const kn = kfuncName(k.decl);
          if (seen.has(kn)) continue;
          seen.add(kn);
          const n = g.nodes.find((x) => x.id === `kfunc:${kn}`)!;
          for (const fl of k.flags ?? []) expect(n.badges).toContain(fl);
          expect(n.badges.includes('hidden')).toBe(!!k.hidden);
        }
      for (const w of y.wrappers ?? []) {
        const n = g.nodes.find((x) => x.id === `wrapper:${w.name}`)!;
        expect(n.badges).toContain(`BPF_CALL_${w.args}`);
        expect(
          g.edges.some((e) => e.kind === 'wraps' && e.from === n.id && e.to.endsWith(`:${w.wraps}`)),
        ).toBe(true);
      }

      // every edge joins two nodes; every node sits in a listed cluster
      const nodeIds = new Set(g.nodes.map((n) => n.id));
      for (const e of g.edges) {
        expect(nodeIds.has(e.from), e.from).toBe(true);
        expect(nodeIds.has(e.to), e.to).toBe(true);
      }
      const clusterIds = new Set(g.clusters.map((c) => c.id));
      for (const n of g.nodes) expect(clusterIds.has(n.cluster), n.id).toBe(true);

      // one member → program edge per program
      for (const p of y.programs)
        expect(
          g.edges.filter(
            (e) => e.kind === 'implements' && e.from === `member:${p.member}` && e.to === `program:${p.name}`,
          ),
        ).toHaveLength(1);

      // generated calls: each call in a pro/epilogue has an edge, exactly one active per call
      for (const m of y.struct_ops.members)
        for (const which of ['prologue', 'epilogue'] as const) {
          for (const c of callsIn(m[which]?.insns ?? '')) {
            const es = g.edges.filter(
              (e) =>
                e.kind === 'generated' &&
                e.from === `member:${m.name}` &&
                e.to.endsWith(`:${c}`) &&
                e.label === which,
            );
            expect(es.length, `${m.name} ${which} ${c}`).toBeGreaterThan(0);
            expect(es.filter((e) => e.active)).toHaveLength(1);
          }
        }

      // program calls
      for (const p of y.programs)
        for (const c of callsIn(p.insns))
          expect(
            g.edges.some(
              (e) => e.kind === 'calls' && e.from === `program:${p.name}` && e.to.endsWith(`:${c}`),
            ),
          ).toBe(true);

      // module boundary
      const mod = y.owner === 'vmlinux' ? null : y.owner.module;
      expect(g.module).toBe(mod);
      expect(g.clusters.some((c) => c.kind === 'module')).toBe(mod !== null);
      if (mod) {
        expect(g.nodes.find((n) => n.kind === 'struct_ops')!.cluster).toBe(`module:${mod}`);
        expect(
          g.edges.some(
            (e) => e.kind === 'module-ref' && e.from.startsWith('struct_ops:') && e.to === `module:${mod}`,
          ),
        ).toBe(true);
      }
    });
  }

  it('qdisc: init/reset/destroy reach their helpers by kfunc (v6.18) and alternatively by wrapper', () => {
    const g = h.subsystemGraph({ name: 'qdisc' });
    const gen = g.edges.filter((e) => e.kind === 'generated' && e.from === 'member:init');
    expect(gen.map((e) => `${e.mechanism}:${e.active}`).sort()).toEqual(['kfunc:true', 'wrapper:false']);
    expect(g.clusters.map((c) => c.kind).sort()).toEqual(['bpf', 'vmlinux']);
  });

  it('bpf_testmod: programs calling module kfuncs pin the module', () => {
    const g = h.subsystemGraph({ name: 'bpf_testmod' });
    for (const p of g.nodes.filter((n) => n.kind === 'program'))
      expect(
        g.edges.some((e) => e.kind === 'module-ref' && e.from === p.id && e.to === 'module:bpf_testmod'),
      ).toBe(true);
  });

  it('patched listings grow by the generated code', () => {
    const g = h.subsystemGraph({ name: 'qdisc' });
    const init = g.programs.find((p) => p.member === 'init')!;
    expect(init.patched, init.error).not.toBeNull();
    // prologue (7 insns) precedes the program's own code
    expect(init.patched!.length).toBeGreaterThanOrEqual(init.bpf.length + 7);
    const deq = g.programs.find((p) => p.member === 'dequeue')!;
    expect(deq.patched).toHaveLength(deq.bpf.length);
  });

  it('a program pinned as rejected shows the pinned rejection, not a fixup failure', () => {
    const g = h.subsystemGraph({ name: 'tcp_cc' });
    const p = g.programs.find((x) => x.name === 'release_sets_nodelay')!;
    expect(p.patched).toBeNull();
    expect(p.error).toBe(
      'rejected at load as pinned: program of this type cannot use helper bpf_setsockopt#49',
    );
    expect(g.programs.find((x) => x.name === 'init_sets_nodelay')!.patched).not.toBeNull();
  });

  it('refuses an unknown model', () => {
    expect(() => h.subsystemGraph({ name: 'nope' })).toThrow(/no model/);
  });
});

describe('graph node links and BTF ids', () => {
  const vmlinux = loadReferenceVmlinuxBtfSync();

  for (const f of files) {
    const name = f.replace(/\.yaml$/, '');
    it(`${name}: every linked BTF id is a vmlinux type of that name; others are marked the model's own`, () => {
      const g = h.subsystemGraph({ name });
      for (const n of g.nodes) {
        for (const l of n.links ?? []) {
          if (l.kind !== 'btf') continue;
          expect(l.btfId!, n.id).toBeLessThan(vmlinux.typeCount);
          const want = n.kind === 'struct_ops' ? n.label.replace(/^struct /, '') : n.label;
          expect(vmlinux.nameOf(l.btfId!), n.id).toBe(want);
        }
        if (n.kind === 'kfunc' || n.kind === 'struct_ops') {
          const btf = n.details.find((d) => d.key === 'BTF')!.value;
          const linked = (n.links ?? []).some((l) => l.kind === 'btf');
          expect(btf.startsWith('vmlinux'), `${n.id}: ${btf}`).toBe(linked);
          if (!linked) expect(btf).toMatch(/model's own|split BTF/);
        }
      }
      for (const p of g.nodes.filter((n) => n.kind === 'program'))
        expect(p.links?.map((l) => [l.kind, l.program])).toEqual([
          ['verifier', p.label],
          ['jit', p.label],
        ]);
    });
  }

  it("tcp_cc's struct comes from vmlinux; bpf_testmod's module kfuncs are the module's own", () => {
    const tcp = h.subsystemGraph({ name: 'tcp_cc' });
    expect(tcp.nodes.find((n) => n.kind === 'struct_ops')!.links![0]!.kind).toBe('btf');
    const mod = h.subsystemGraph({ name: 'bpf_testmod_v2_kfunc' });
    const inc = mod.nodes.find((n) => n.id === 'kfunc:bpf_kfunc_st_ops_inc10')!;
    expect(inc.links ?? []).toEqual([]);
    expect(inc.details.find((d) => d.key === 'BTF')!.value).toMatch(
      /^module bpf_testmod's split BTF, FUNC id \d+ there/,
    );
  });
});

describe('review notes on graph nodes', () => {
  it('puts each note on the nodes it names, with a badge counting the open ones', async () => {
    const { checkModel } = await import('../../core/model/check');
    const { BtfRegistry } = await import('../../core/btf/registry');
    const { buildSubsystemGraph } = await import('./subsystem-graph');
    const base = loadReferenceVmlinuxBtfSync();
    const file = join(root, 'test/fixtures/model/shared-epilogue.yaml');
    const text = `${readFileSync(file, 'utf8')}review:
  - { on: stop, note: shares its epilogue with reset, by: alice }
  - { on: demo_stop_epilogue, note: hidden by the filter?, status: resolved }
  - { on: stop, note: second look }
`;
    const r = checkModel(file, text, { btf: new BtfRegistry(base) });
    const g = buildSubsystemGraph('shared-epilogue', r, base);
    const node = (id: string) => g.nodes.find((n) => n.id === id)!;
    expect(node('member:stop').review!.map((n) => [n.index, n.by, n.status])).toEqual([
      [0, 'alice', 'open'],
      [2, null, 'open'],
    ]);
    expect(node('member:stop').badges).toContain('review: 2 open');
    // A kfunc and its wrapper of the same name both carry the note.
    for (const id of ['kfunc:demo_stop_epilogue', 'wrapper:demo_stop_epilogue'])
      expect(node(id).badges).toContain('review: resolved');
    expect(node('member:start').review).toBeUndefined();
  });
});
