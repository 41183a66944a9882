import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseBtf } from '../btf/btf';
import { BtfRegistry } from '../btf/registry';
import { checkModel, errorCount, xlatedMismatch } from './check';
import { modelJsonSchema, validateJsonSchema } from './json-schema';
import { formatDiagnostic } from './load';
import { modelVerifier } from './verify';

const root = resolve(__dirname, '../..');
const modelsDir = join(root, 'models');
const fixtures = join(root, 'test/fixtures/model');
const shipped = readdirSync(modelsDir).filter((f) => f.endsWith('.yaml'));
const registry = new BtfRegistry(parseBtf(gunzipSync(readFileSync(join(root, 'assets/vmlinux.btf.gz')))));

const check = (dir: string, f: string) =>
  checkModel(`${f}`, readFileSync(join(dir, f), 'utf8'), { btf: registry });

describe('shipped models', () => {
  it('ships the five subsystems and the v2 proposal', () => {
    expect(shipped.sort()).toEqual([
      'bpf_testmod.yaml',
      'bpf_testmod_v2_kfunc.yaml',
      'hid_bpf.yaml',
      'qdisc.yaml',
      'sched_ext.yaml',
      'tcp_cc.yaml',
    ]);
  });

  it.each(shipped)('%s passes model check', (f) => {
    const r = check(modelsDir, f);
    expect(r.diagnostics.map(formatDiagnostic)).toEqual([]);
    expect(r.programs.length).toBe(r.model!.programs.length);
  });

  it('assembles the qdisc prologue as the kernel emits it under both call designs', () => {
    const r = check(modelsDir, 'qdisc.yaml');
    const init = r.generated.filter((g) => g.member === 'init');
    // 7 insns from the hook body; the 8th is the copied insn 0.
    expect(init).toEqual([
      { member: 'init', which: 'prologue', design: 'kfunc', insns: 7 },
      { member: 'init', which: 'prologue', design: 'wrapper', insns: 7 },
    ]);
    expect(r.generated.filter((g) => g.member === 'reset').map((g) => g.insns)).toEqual([4, 4]);
  });

  it('takes tcp_congestion_ops and its kfuncs from the reference BTF without adding bytes', () => {
    const r = check(modelsDir, 'tcp_cc.yaml');
    expect(r.resolved!.structFrom).toBe('btf');
    expect(r.build!.inBaseBtf.size).toBe(5);
    expect(r.build!.emitter.bytes()).toBe(0);
  });
});

describe('models/schema.json', () => {
  const published = JSON.parse(readFileSync(join(modelsDir, 'schema.json'), 'utf8'));

  it('is the JSON Schema generated from the zod schema', () => {
    expect(published).toEqual(modelJsonSchema());
    expect(published.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  });

  it.each(shipped)('validates %s', (f) => {
    expect(validateJsonSchema(published, parse(readFileSync(join(modelsDir, f), 'utf8')))).toEqual([]);
  });

  it('rejects a model with a bad value and an unknown key', () => {
    const errs = validateJsonSchema(
      published,
      parse(readFileSync(join(fixtures, 'bad-schema.yaml'), 'utf8')),
    );
    expect(errs).toContain('$.kernel: does not match ^v\\d+\\.\\d+$');
    expect(errs.some((e) => e.startsWith('$.struct_ops.members[0]'))).toBe(true);
  });
});

describe('broken models', () => {
  const diags = (f: string) => check(fixtures, f).diagnostics.map(formatDiagnostic);

  it('reports YAML syntax errors with their position', () => {
    // The indented `profile:` turns `kernel`'s value into a mapping: yaml points at that value.
    expect(diags('bad-yaml.yaml')[0]).toBe(
      'bad-yaml.yaml:3:9: Nested mappings are not allowed in compact mappings',
    );
  });

  it('reports schema errors at the offending value or key', () => {
    expect(diags('bad-schema.yaml')).toEqual([
      'bad-schema.yaml:3:9: kernel: must look like v6.16',
      "bad-schema.yaml:12:7: unknown key 'colour'",
    ]);
  });

  it('reports C declaration errors inside a block scalar', () => {
    expect(diags('bad-decl.yaml')).toEqual(["bad-decl.yaml:9:16: unknown type name 'strct'"]);
  });

  it('reports calls to undeclared functions at the name', () => {
    expect(diags('bad-call.yaml')).toEqual([
      "bad-call.yaml:18:16: 'foo_prepare' is not a kfunc, wrapper or helper of this model",
    ]);
  });

  it('reports assembler errors at the instruction', () => {
    const d = diags('bad-insn.yaml');
    expect(d).toHaveLength(1);
    expect(d[0]).toMatch(/^bad-insn\.yaml:20:7: /);
  });

  it('rejects generated code that overflows INSN_BUF_SIZE', () => {
    expect(diags('too-long.yaml')).toEqual([
      "too-long.yaml:15:16: gen_epilogue returns 16 insns; the verifier's buffer holds 15",
    ]);
  });

  it('counts errors', () => {
    expect(errorCount(check(fixtures, 'bad-call.yaml'))).toBe(1);
  });
});

describe('xlatedMismatch', () => {
  it('matches selftest-style prefixes and reports the first difference', () => {
    const actual = ['0: (bf) r6 = r1', '1: (85) call pc+3', '2: (95) exit'];
    expect(xlatedMismatch('0: r6 = r1\n1: call pc+\n2: exit', actual)).toBeUndefined();
    expect(xlatedMismatch('0: r6 = r2', actual)).toBe("xlated insn 0 is '0: r6 = r1', expected '0: r6 = r2'");
    expect(xlatedMismatch('3: exit', actual)).toBe("xlated has no insn 3 (expected '3: exit')");
  });
});

describe('authoring errors in a model file', () => {
  const demo = readFileSync(join(fixtures, 'byo-demo.yaml'), 'utf8');
  const edit = (from: string | RegExp, to: string) => {
    const text = demo.replace(from, to);
    expect(text).not.toBe(demo);
    return text;
  };
  const diags = (text: string) =>
    checkModel('demo.yaml', text, { btf: registry, verify: modelVerifier }).diagnostics.map(formatDiagnostic);

  it('a bad register in generated code is one error at its line, and the programs are not loaded', () => {
    const text = edit('          r6 = r0\n', '          r99 = r0\n');
    const line = text.split('\n').findIndex((l) => l.includes('r99 = r0')) + 1;
    expect(diags(text)).toEqual([
      `demo.yaml:${line}:11: Invalid register: r99 (BPF has r0-r10; r11 is the JIT's scratch BPF_REG_AX)`,
    ]);
  });

  it('a comma inside a flow mapping says which value it cut and how to quote it', () => {
    const text = edit(
      '    - name: reset\n',
      '    - { name: reset, decl: int (*reset)(struct demo_args *args, u64 flags) }\n',
    );
    const line = text.split('\n').findIndex((l) => l.includes('u64 flags')) + 1;
    const col = text.split('\n')[line - 1]!.indexOf('u64 flags') + 1;
    expect(diags(text)).toEqual([
      `demo.yaml:${line}:${col}: a comma ends a value inside { … }: 'decl' stops at 'int (*reset)(struct demo_args *args' and 'u64 flags)' is read as a key; quote the value: decl: "int (*reset)(struct demo_args *args, u64 flags)"`,
    ]);
    // In a free-text field the schema would accept the cut text: still an error.
    const note = edit(
      '    - { name: owner, kind: data }',
      '    - { name: owner, kind: data, note: set by the loader, never by bpf }',
    );
    expect(diags(note)).toHaveLength(1);
    expect(diags(note)[0]).toMatch(/'note' stops at 'set by the loader' and 'never by bpf' is read as a key/);
  });

  it('generated code reading a clobbered register or loading through a number warns at its line', () => {
    const text = edit('          r0 = r6\n', '          r0 = r1\n');
    const line = text.split('\n').findIndex((l) => l.trim() === 'r0 = r1') + 1;
    expect(diags(text)).toEqual([
      `demo.yaml:${line}:11: warning: reads r1 after a call clobbered it (r1-r5 do not survive calls)`,
    ]);
    const deref = edit(
      '          r1 = *(u64 *)(r1 +0)\n',
      '          r1 = *(u32 *)(r1 +0)\n          r1 = *(u64 *)(r1 +8)\n',
    );
    const at = deref.split('\n').findIndex((l) => l.includes('(r1 +8)')) + 1;
    expect(diags(deref)).toEqual([
      `demo.yaml:${at}:11: warning: dereferences r1, which holds a number, not a pointer`,
    ]);
  });

  it('a struct neither declared nor in the BTF is a warning where it is written, with the nearest names', () => {
    const text = edit(
      'int demo_account(struct demo_args *args)',
      'int demo_account(struct demo_arg *args, struct qdisc *q)',
    );
    const warnings = checkModel('demo.yaml', text, { btf: registry })
      .diagnostics.filter((d) => d.severity === 'warning')
      .map(formatDiagnostic);
    const line = text.split('\n').findIndex((l) => l.includes('struct demo_arg *args')) + 1;
    const at = (s: string) => text.split('\n')[line - 1]!.indexOf(s) + 1;
    expect(warnings).toEqual([
      `demo.yaml:${line}:${at('struct demo_arg ')}: warning: struct demo_arg is neither declared in types nor in the reference BTF: it stays a forward declaration, so programs cannot read its fields; did you mean demo_args?`,
      `demo.yaml:${line}:${at('struct qdisc')}: warning: struct qdisc is neither declared in types nor in the reference BTF: it stays a forward declaration, so programs cannot read its fields; did you mean Qdisc?`,
    ]);
    // `struct x;` in types is an opaque type on purpose: no warning.
    const opaque = edit(
      'types: |\n',
      'types: |\n  struct demo_opaque;\n  struct demo_holder { struct demo_opaque *p; };\n',
    );
    expect(checkModel('demo.yaml', opaque, { btf: registry }).diagnostics).toEqual([]);
  });
});

describe('pinned outcomes (expect: { verdict: reject, error })', () => {
  const verified = (f: string, text = readFileSync(join(modelsDir, f), 'utf8')) =>
    checkModel(f, text, { btf: registry, verify: modelVerifier });

  it.each(shipped)('%s pins rejections, each refused as pinned', (f) => {
    const r = verified(f);
    expect(r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
    const pinned = r.model!.programs.filter((p) => p.expect?.verdict === 'reject');
    expect(pinned.length).toBeGreaterThan(0);
    expect(r.programs.filter((p) => p.rejectedAsPinned).map((p) => p.name)).toEqual(
      pinned.map((p) => p.name),
    );
  });

  it('fails when a pinned outcome changes', () => {
    const text = readFileSync(join(modelsDir, 'qdisc.yaml'), 'utf8');
    const otherError = verified('qdisc.yaml', text.replace('no write support to Qdisc at off 16', 'x'));
    expect(otherError.diagnostics.map(formatDiagnostic)).toEqual([
      expect.stringMatching(
        /^qdisc\.yaml:\d+:\d+: rejected with 'no write support to Qdisc at off 16', expected 'x'$/,
      ),
    ]);
    // The same store into Qdisc.limit (off 20) is allowed: the pinned rejection no longer happens.
    const nowAccepted = verified(
      'qdisc.yaml',
      text.replace('*(u32 *)(r1 +16) = r2', '*(u32 *)(r1 +20) = r2'),
    );
    expect(nowAccepted.diagnostics.map(formatDiagnostic)).toEqual([
      expect.stringMatching(/: accepted, expected a rejection: no write support to Qdisc at off 16$/),
    ]);
  });
});
