import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BtfBuilder } from '../../core/btf/writer';
import { CliError } from '../errors';
import { btfDump } from './btf-dump';
import { btfFind } from './btf-find';

const root = resolve(__dirname, '../..');
const fx = (name: string) => join(root, 'test/fixtures/btf', name);
const vmlinuxBtf = (() => {
  // The reference vmlinux BTF as a plain file, for FILE arguments.
  const dir = mkdtempSync(join(tmpdir(), 'kmodel-btf-dump-'));
  const p = join(dir, 'vmlinux.btf');
  writeFileSync(p, gunzipSync(readFileSync(join(root, 'assets/vmlinux.btf.gz'))));
  return p;
})();

async function runCmd(
  cmd: typeof btfDump,
  argv: string[],
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await cmd.run({ argv, stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
  return { code, out: out.join(''), err: err.join('') };
}

function compareLines(mine: string, theirs: string): number {
  const a = mine.split('\n');
  const b = theirs.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) throw new Error(`line ${i + 1} differs:\n  kmodel:  ${a[i]}\n  bpftool: ${b[i]}`);
  }
  return a.length;
}

/** Names of types a C header declares: struct/union/enum tags and typedef names. */
function declaredNames(c: string): Set<string> {
  const names = new Set<string>();
  for (const m of c.matchAll(/^(struct|union|enum) ([A-Za-z_]\w*)(?: \{|;)/gm)) names.add(`${m[1]} ${m[2]}`);
  for (const m of c.matchAll(/^typedef .*?\b([A-Za-z_]\w*)(?:\)\(.*\))?(?:\[\d+\])*;$/gm))
    names.add(`typedef ${m[1]}`);
  return names;
}

const clang = ['/usr/bin/clang', '/usr/local/bin/clang'].find((p) => existsSync(p));

describe('kmodel btf dump', () => {
  it('raw dump of the reference vmlinux is identical to bpftool, line for line', async () => {
    const { code, out } = await runCmd(btfDump, [vmlinuxBtf]);
    expect(code).toBe(0);
    const ref = gunzipSync(readFileSync(fx('vmlinux.bpftool.txt.gz'))).toString('utf8');
    expect(compareLines(out, ref)).toBe(296199);
  });

  it('C dump of the reference vmlinux matches bpftool format c and declares the same types', async () => {
    const { code, out } = await runCmd(btfDump, [vmlinuxBtf, '--format', 'c']);
    expect(code).toBe(0);
    const ref = gunzipSync(readFileSync(fx('vmlinux.bpftool.c.gz'))).toString('utf8');
    const mine = declaredNames(out);
    expect(mine.size).toBeGreaterThan(12000);
    expect(mine).toEqual(declaredNames(ref));
    expect(compareLines(out, ref)).toBe(ref.split('\n').length);
  });

  it.runIf(clang)('C dump compiles with clang -fsyntax-only', async () => {
    const { out } = await runCmd(btfDump, [vmlinuxBtf, '--format', 'c']);
    const dir = mkdtempSync(join(tmpdir(), 'kmodel-btf-c-'));
    const h = join(dir, 'vmlinux.h');
    writeFileSync(h, out);
    writeFileSync(
      join(dir, 'main.c'),
      '#include "vmlinux.h"\nint main(void) { return sizeof(struct sk_buff) > 0 ? 0 : 1; }\n',
    );
    execFileSync(clang!, ['-fsyntax-only', '-target', 'bpf', join(dir, 'main.c')], { stdio: 'pipe' });
  });

  it('dumps an ELF BPF object (.BTF) like bpftool, raw and C', async () => {
    const raw = await runCmd(btfDump, [fx('prog.bpf.o')]);
    expect(raw.out).toBe(readFileSync(fx('prog.bpftool.txt'), 'utf8'));
    const c = await runCmd(btfDump, [fx('prog.bpf.o'), '--format', 'c']);
    expect(c.out).toBe(readFileSync(fx('prog.bpftool.h'), 'utf8'));
  });

  it('dumps split BTF on --base like bpftool -B', async () => {
    const { out } = await runCmd(btfDump, [fx('module.btf'), '--base', vmlinuxBtf]);
    expect(out).toBe(readFileSync(fx('module.bpftool.txt'), 'utf8'));
    const c = await runCmd(btfDump, [fx('module.btf'), '--base', vmlinuxBtf, '--format', 'c']);
    const ref = gunzipSync(readFileSync(fx('module.bpftool.h.gz'))).toString('utf8');
    expect(compareLines(c.out, ref)).toBe(ref.split('\n').length);
  });

  it('rejects bad input with one-line errors', async () => {
    await expect(runCmd(btfDump, ['/nonexistent'])).rejects.toThrow('no such file');
    await expect(runCmd(btfDump, [fx('prog.c')])).rejects.toThrow(/bad magic/);
    await expect(runCmd(btfDump, [vmlinuxBtf, '--format', 'json'])).rejects.toThrow(/raw or c/);
    await expect(runCmd(btfDump, [])).rejects.toThrow(/one BTF FILE/);
    // Parsed, yet not dumpable as C: a struct cycle with no pointer in it.
    const b = new BtfBuilder();
    const a = b.addStruct('A', 4, [{ name: 'b', type: 2, bitOffset: 0 }]);
    b.addStruct('B', 4, [{ name: 'a', type: a, bitOffset: 0 }]);
    const cycle = join(mkdtempSync(join(tmpdir(), 'kmodel-dump-')), 'cycle.btf');
    writeFileSync(cycle, b.build());
    await expect(runCmd(btfDump, [cycle, '--format', 'c'])).rejects.toThrow(
      new CliError(`${cycle}: BTF: unsatisfiable type cycle, id:[1] (at byte 24)`),
    );
  });
});

describe('kmodel btf find', () => {
  it('prints id, kind, size and owner', async () => {
    const { code, out } = await runCmd(btfFind, ['sk_buff', '--file', vmlinuxBtf]);
    expect(code).toBe(0);
    expect(out).toBe(`873\tSTRUCT\tsize=224\t${vmlinuxBtf}\n`);
    const mod = await runCmd(btfFind, ['kmodel_ca_state', '--file', fx('module.btf'), '--base', vmlinuxBtf]);
    expect(mod.out).toMatch(/^126612\tSTRUCT\tsize=16\t.*module\.btf\n$/);
    const miss = await runCmd(btfFind, ['no_such_type_xyz', '--file', vmlinuxBtf]);
    expect(miss.code).toBe(1);
  });
});
