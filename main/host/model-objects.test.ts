import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { objectReaderBeside } from './model-objects';

const dir = mkdtempSync(join(tmpdir(), 'kmodel-model-objects-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('objects a model names, for the app', () => {
  it('reads .o files beside the model or below it, nothing outside or of another kind', () => {
    mkdirSync(join(dir, 'sub'));
    const obj = resolve(__dirname, '../../test/fixtures/objects/build/cc_rate.bpf.o');
    copyFileSync(obj, join(dir, 'sub/cc.bpf.o'));
    writeFileSync(join(dir, 'notes.txt'), 'x');
    const read = objectReaderBeside(join(dir, 'm.yaml'));
    expect(read('sub/cc.bpf.o').length).toBeGreaterThan(1000);
    expect(() => read('../x.bpf.o')).toThrow("outside the model file's folder");
    expect(() => read(obj)).toThrow("outside the model file's folder");
    expect(() => read('notes.txt')).toThrow('a BPF object file ends in .o');
    expect(() => read('gone.o')).toThrow(/no such file/);
  });
});

describe('a model naming objects, opened in the app', () => {
  it("checks with the object's struct_ops map beside it", async () => {
    const { ApiHandlers } = await import('../api/handlers');
    const root = resolve(__dirname, '../..');
    const folder = join(dir, 'served');
    mkdirSync(folder);
    copyFileSync(join(root, 'test/fixtures/objects/build/cc_rate.bpf.o'), join(folder, 'cc_rate.bpf.o'));
    const tcpCc = (await import('node:fs')).readFileSync(join(root, 'models/tcp_cc.yaml'), 'utf8');
    const file = join(folder, 'rate.yaml');
    writeFileSync(
      file,
      `${tcpCc.slice(0, tcpCc.indexOf('\ninstances:'))}\ninstances:\n  - { object: cc_rate.bpf.o }\n`,
    );
    const r = new ApiHandlers(root, [folder]).openModel({ name: file });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.source).toContain('object: cc_rate.bpf.o');
  });
});
