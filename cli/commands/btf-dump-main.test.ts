import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { btfDumpMain, fdWriter } from './btf-dump-main';

const root = resolve(__dirname, '../..');
const fx = (name: string) => join(root, 'test/fixtures/btf', name);
const dir = mkdtempSync(join(tmpdir(), 'kmodel-btf-dump-main-'));
const vmlinuxBtf = join(dir, 'vmlinux.btf');
writeFileSync(vmlinuxBtf, gunzipSync(readFileSync(join(root, 'assets/vmlinux.btf.gz'))));

/** Runs the `kmodel btf dump` process body with fd 1 replaced by a file; returns what it wrote. */
async function run(argv: string[]): Promise<{ code: number; out: Buffer; err: string }> {
  const file = join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const fd = openSync(file, 'w');
  let err = '';
  try {
    const code = await btfDumpMain(argv, (t) => (err += t), fd);
    return { code, out: readFileSync(file), err };
  } finally {
    closeSync(fd);
  }
}

describe('btf dump process (bytes to fd 1)', () => {
  it('writes the vmlinux raw and C dumps byte for byte as bpftool', async () => {
    const raw = await run([vmlinuxBtf]);
    expect(raw.code).toBe(0);
    expect(raw.out.equals(gunzipSync(readFileSync(fx('vmlinux.bpftool.txt.gz'))))).toBe(true);
    const c = await run([vmlinuxBtf, '--format', 'c']);
    expect(c.code).toBe(0);
    expect(c.out.equals(gunzipSync(readFileSync(fx('vmlinux.bpftool.c.gz'))))).toBe(true);
  });

  it('reads gzip, ELF .BTF and split BTF on --base like the other btf commands', async () => {
    const gz = join(dir, 'vmlinux.btf.gz');
    writeFileSync(gz, readFileSync(join(root, 'assets/vmlinux.btf.gz')));
    const raw = await run([gz]);
    expect(raw.out.equals(gunzipSync(readFileSync(fx('vmlinux.bpftool.txt.gz'))))).toBe(true);
    expect((await run([fx('prog.bpf.o'), '--format', 'c'])).out.toString()).toBe(
      readFileSync(fx('prog.bpftool.h'), 'utf8'),
    );
    expect((await run([fx('module.btf'), '--base', vmlinuxBtf])).out.toString()).toBe(
      readFileSync(fx('module.bpftool.txt'), 'utf8'),
    );
  });

  it('reports bad input in one line with exit status 2, as cli/main.ts does', async () => {
    const cases: [string[], string][] = [
      [['/nonexistent'], 'kmodel btf dump: /nonexistent: no such file\n'],
      [[dir], `kmodel btf dump: ${dir}: is a directory\n`],
      [[fx('prog.c')], `kmodel btf dump: ${fx('prog.c')}: BTF: bad magic 0x2a2f (want 0xeb9f) (at byte 0)\n`],
      [[vmlinuxBtf, '--format', 'json'], "kmodel btf dump: --format must be raw or c, got 'json'\n"],
      [[], 'kmodel btf dump: give exactly one BTF FILE\n'],
      [[vmlinuxBtf, '--bogus', 'x'], 'kmodel btf dump: unknown option --bogus\n'],
    ];
    for (const [argv, msg] of cases) {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.err).toBe(msg);
      expect(r.out.length).toBe(0);
    }
  });

  it('writes every byte of every chunk', async () => {
    const file = join(dir, 'chunks');
    const fd = openSync(file, 'w');
    const chunks = Array.from({ length: 50 }, (_, i) => new Uint8Array(1000 + i * 997).fill(65 + (i % 26)));
    const w = fdWriter(fd);
    for (const c of chunks) w.write(c);
    await w.done();
    closeSync(fd);
    expect(readFileSync(file).equals(Buffer.concat(chunks))).toBe(true);
  });
});
