import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inProcessBackend } from './backend';
import { ApiHandlers, findPackageRoot } from './handlers';

const root = findPackageRoot(__dirname);
const h = new ApiHandlers(root);
const yamls = readdirSync(join(root, 'models')).filter((f) => f.endsWith('.yaml'));

describe('models API', () => {
  it('lists every shipped model', () => {
    const r = h.listModels();
    expect(r.models.map((m) => m.file).sort()).toEqual(yamls.map((f) => `models/${f}`).sort());
    for (const m of r.models) expect(m.title, m.name).toBeTruthy();
  });

  it('opens tcp_cc with its struct_ops type and source', () => {
    const r = h.openModel({ name: 'tcp_cc' });
    expect(r.summary!.structOps).toBe('tcp_congestion_ops');
    expect(r.source).toBe(readFileSync(join(root, 'models/tcp_cc.yaml'), 'utf8'));
    expect(r.summary!.members.map((m) => m.name)).toContain('cong_avoid');
  });

  it('refuses paths and unknown names', () => {
    expect(() => h.openModel({ name: 'nope' })).toThrow(/no model 'nope'/);
  });

  it('compares call designs for a model with generated code', () => {
    const withBlocks = h
      .listModels()
      .models.filter((m) => m.errors === 0)
      .find((m) => h.openModel({ name: m.name }).summary!.members.some((x) => x.prologue || x.epilogue));
    expect(withBlocks).toBeDefined();
    const c = h.compare({ name: withBlocks!.name });
    expect(c.tables.length).toBe(c.comparison.members.length);
    expect(c.tables.length).toBeGreaterThan(0);
    const t = c.tables[0]!;
    expect(t.designs.length).toBeGreaterThan(1);
    for (const row of t.rows) expect(row.values.length).toBe(t.designs.length);
  });
});

describe('models API: any model the host may read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kmodel-models-given-'));
  const outside = mkdtempSync(join(tmpdir(), 'kmodel-models-outside-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });
  const mine = join(dir, 'my_qdisc.yaml');
  writeFileSync(
    mine,
    readFileSync(join(root, 'models/qdisc.yaml'), 'utf8').replace(/^title: .*$/m, 'title: Mine'),
  );
  writeFileSync(join(outside, 'secret.yaml'), 'subsystem: x\n');
  // As `kmodel serve DIR` runs it.
  const served = new ApiHandlers(root, [dir]);

  it('lists the files of a folder given to serve beside the shipped ones, with a summary line', () => {
    const list = served.listModels().models;
    const given = list.find((m) => m.path === mine);
    expect(given).toMatchObject({ name: mine, label: 'my_qdisc', origin: 'given', title: 'Mine', errors: 0 });
    expect(given!.card).toMatchObject({ structOps: 'Qdisc_ops', prologues: 1, epilogues: 2 });
    expect(given!.card!.callDesign).toEqual({ 'v6.18': 'kfunc', 'bpf-next-2026': 'wrapper' });
    expect(given!.card!.generatedDesigns).toEqual(['kfunc']);
    // bpf_testmod's pro/epilogues call nothing: no design to state.
    const testmod = list.find((m) => m.name === 'bpf_testmod')!.card!;
    expect(testmod).toMatchObject({ callDesign: {}, generatedDesigns: [] });
    expect(testmod.prologues).toBeGreaterThan(0);
    const shipped = list.find((m) => m.name === 'qdisc');
    expect(shipped).toMatchObject({ origin: 'shipped', file: 'models/qdisc.yaml' });
    expect(list.filter((m) => m.origin === 'shipped').length).toBe(yamls.length);
  });

  it("a folder's YAML files that are no model (no subsystem key) are not listed; a named file always is", () => {
    writeFileSync(join(dir, 'ci.yaml'), 'jobs:\n  test: {}\n');
    const listed = served.listModels().models.map((m) => m.path);
    expect(listed).not.toContain(join(dir, 'ci.yaml'));
    const file = new ApiHandlers(root, [join(dir, 'ci.yaml')])
      .listModels()
      .models.find((m) => m.origin === 'given');
    expect(file).toMatchObject({ path: join(dir, 'ci.yaml'), card: null });
    expect(file!.errors).toBeGreaterThan(0);
    rmSync(join(dir, 'ci.yaml'));
  });

  it('opens, graphs and compares a model by its absolute path', () => {
    expect(served.openModel({ name: mine }).summary!.structOps).toBe('Qdisc_ops');
    const g = served.subsystemGraph({ name: mine });
    expect(g.name).toBe(mine);
    expect(g.nodes.some((n) => n.kind === 'wrapper')).toBe(true);
    // Its PNG/SVG exports name what drew them: this file (its sha256), under the model's profile.
    expect(g.provenance).toMatchObject({
      profiles: [g.profile],
      model: { file: mine, sha256: createHash('sha256').update(readFileSync(mine)).digest('hex') },
    });
    expect(g.provenance!.kernel.btfSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(served.compare({ name: mine, member: 'init' }).tables.map((t) => t.member)).toEqual(['init']);
  });

  it('a path into models/ is the shipped model', () => {
    expect(served.openModel({ name: join(root, 'models/tcp_cc.yaml') }).info.name).toBe('tcp_cc');
  });

  it('refuses paths outside the allowed folders, relative paths and traversal', async () => {
    const api = inProcessBackend(root, [dir]);
    for (const name of [
      join(outside, 'secret.yaml'),
      `${dir}/../${basename(outside)}/secret.yaml`,
      '../models/qdisc',
      'a/b.yaml',
      '/etc/passwd',
    ]) {
      for (const method of ['openModel', 'subsystemGraph', 'compare']) {
        const env = await api.call(method, { name });
        expect(env.ok, `${method} ${name}`).toBe(false);
        if (!env.ok) expect(env.error.code).toBe('bad-request');
      }
    }
  });

  it('re-checks a model file that changed on disk', () => {
    const f = join(dir, 'changing.yaml');
    writeFileSync(f, readFileSync(join(root, 'models/tcp_cc.yaml'), 'utf8'));
    expect(served.openModel({ name: f }).info.errors).toBe(0);
    writeFileSync(f, 'subsystem: broken\n# longer, so the size differs\n');
    expect(served.openModel({ name: f }).info.errors).toBeGreaterThan(0);
    rmSync(f);
    expect(() => served.openModel({ name: f })).toThrow(/no model file/);
  });

  it('lists files opened in the editor, and the recent ones in the desktop app', () => {
    const recentFile = join(outside, 'recent-models.json');
    const desktop = new ApiHandlers(root, null, { recentModelsFile: recentFile });
    const elsewhere = join(outside, 'elsewhere.yaml');
    copyFileSync(join(root, 'models/tcp_cc.yaml'), elsewhere);
    desktop.openModelFile({ path: elsewhere });
    expect(desktop.listModels().models.find((m) => m.path === elsewhere)?.origin).toBe('opened');
    expect(JSON.parse(readFileSync(recentFile, 'utf8'))).toEqual([elsewhere]);
    // A later session lists it as recent.
    const later = new ApiHandlers(root, null, { recentModelsFile: recentFile });
    expect(later.listModels().models.find((m) => m.path === elsewhere)?.origin).toBe('recent');
  });
});
