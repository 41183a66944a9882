import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inProcessBackend } from './backend';
import { ApiHandlers, findPackageRoot } from './handlers';
import type { DisasmResult, SampleCase, SamplesResult } from './types';

const root = findPackageRoot(__dirname);
const api = inProcessBackend(root);
const firstCase = JSON.parse(
  readFileSync(join(root, 'test/fixtures/corpus/cases.jsonl'), 'utf8').split('\n')[0]!,
) as { id: string; insns: string };

describe('API handlers', () => {
  it('finds the package root', () => {
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name).toBe('kmodel');
  });

  it('disassembles a program into kernel-syntax lines and a CFG', async () => {
    // r0 = 0; if r1 == 0 goto +1; r0 = 1; exit
    const hex = 'b700000000000000' + '1501010000000000' + 'b700000001000000' + '9500000000000000';
    const env = await api.call('disasm', { hex });
    expect(env.ok).toBe(true);
    const r = (env as { result: DisasmResult }).result;
    expect(r.lines.map((l) => l.text)).toEqual([
      '(b7) r0 = 0',
      '(15) if r1 == 0x0 goto pc+1',
      '(b7) r0 = 1',
      '(95) exit',
    ]);
    expect(r.cfg.blocks.map((b) => [b.start, b.end])).toEqual([
      [0, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(r.lines.map((l) => l.block)).toEqual([0, 0, 1, 2]);
  });

  it('gives ld_imm64 one line of two slots', async () => {
    const hex = '1801000002000000' + '0000000001000000' + '9500000000000000';
    const r = ((await api.call('disasm', { hex })) as { result: DisasmResult }).result;
    expect(r.slots).toBe(3);
    expect(r.lines.map((l) => [l.idx, l.slots])).toEqual([
      [0, 2],
      [2, 1],
    ]);
    expect(r.lines[0]!.text).toBe('(18) r1 = 0x100000002');
  });

  it('rejects bad params with a one-line message naming the field', async () => {
    const env = await api.call('disasm', { hex: 'zz' });
    expect(env).toEqual({
      ok: false,
      error: { code: 'bad-request', message: expect.stringMatching(/^disasm: hex:/) },
    });
    const odd = await api.call('disasm', { hex: 'b70000000000000' });
    expect(odd.ok).toBe(false);
    const extra = await api.call('disasm', { hex: '', nope: 1 });
    expect(extra.ok).toBe(false);
    const unknown = await api.call('rm -rf', {});
    expect(unknown).toMatchObject({ ok: false, error: { code: 'unknown-method' } });
  });

  it('lists and returns corpus cases', async () => {
    const list = ((await api.call('samples', { query: firstCase.id })) as { result: SamplesResult }).result;
    expect(list.samples[0]!.id).toBe(firstCase.id);
    const c = ((await api.call('sample', { id: firstCase.id })) as { result: SampleCase }).result;
    expect(c.hex).toBe(firstCase.insns);
    expect(c.slots).toBe(firstCase.insns.length / 16);
    const missing = await api.call('sample', { id: 'hand-9999999' });
    expect(missing).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });

  it('reports the kernel release of the reference data', () => {
    const v = new ApiHandlers(root).version();
    expect(v.kernel).toBe(readFileSync(join(root, 'test/fixtures/kernel/release'), 'utf8').trim());
  });
});

describe('API surface', () => {
  it('lists every method once, with a schema and a handler', async () => {
    const { schemas } = await import('./schema');
    const { API_METHODS } = await import('./types');
    expect([...API_METHODS].sort()).toEqual(Object.keys(schemas).sort());
    for (const m of API_METHODS) expect(typeof ApiHandlers.prototype[m], m).toBe('function');
  });
});

describe('disasm of kfunc calls', () => {
  it('names them from the reference BTF the way the verifier log does', async () => {
    const lines = readFileSync(join(root, 'test/fixtures/corpus/cases.jsonl'), 'utf8').split('\n');
    const c = lines
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { insns: string; kernel: { log: string } })
      .find((x) => /: \(85\) call tcp_\w+#\d+/.test(x.kernel.log))!;
    const want = /(\d+): (\(85\) call tcp_\w+#\d+)/.exec(c.kernel.log)!;
    const r = ((await api.call('disasm', { hex: c.insns })) as { result: DisasmResult }).result;
    expect(r.lines.find((l) => l.idx === Number(want[1]))!.text).toBe(want[2]);
  });
});
