import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesFromHex, decodeInsns, encodeInsns } from '../../core/isa/encoding';
import { clangCases } from '../../test/fixtures/objects/load';
import { objectInsns } from './object-insns';
import { objectShow } from './object-show';

const fixture = (name: string) => join(__dirname, '../../test/fixtures/objects/build', name);

async function call(cmd: typeof objectShow, argv: string[]): Promise<string> {
  let out = '';
  expect(await cmd.run({ argv, stdout: (t) => (out += t), stderr: () => {} })).toBe(0);
  return out;
}

describe('kmodel object show / insns', () => {
  it('shows programs, the struct_ops binding and the kfunc externs', async () => {
    const text = await call(objectShow, [fixture('cc_reno.bpf.o')]);
    expect(text).toContain(
      'reno_cong_avoid: section struct_ops/reno_cong_avoid, type struct_ops attach tcp_congestion_ops.cong_avoid',
    );
    expect(text).toMatch(/\.cong_avoid = reno_cong_avoid/);
    expect(text).toMatch(/tcp_reno_cong_avoid: kfunc vmlinux \[\d+\]/);
    const json = JSON.parse(await call(objectShow, [fixture('sf_count_proto.bpf.o'), '--json']));
    expect(json.programs[0]).toMatchObject({
      name: 'sf_count_proto',
      type: 'socket_filter',
      maps: ['proto_count'],
    });
    expect(json.maps[0]).toMatchObject({ name: 'proto_count', origin: 'btf', section: '.maps' });
  });

  it('prints the insns of a corpus case as hex, and as text with map names', async () => {
    const c = clangCases().get('clang-0026')!; // sf_count_proto
    expect((await call(objectInsns, [fixture('sf_count_proto.bpf.o')])).trim()).toBe(c.insns);
    const text = await call(objectInsns, [fixture('sf_count_proto.bpf.o'), '--format', 'text']);
    expect(text).toMatch(/r1 = map\[proto_count\]/);
    const src = await call(objectInsns, [fixture('tc_subprog.bpf.o'), '--format', 'text', '--source']);
    expect(src).toContain('; skb->mark = 17; (tc_subprog.bpf.c:19)\n6: (63) *(u32 *)(r6 +8) = r1\n');
    expect(src).toContain('; return ip->protocol; (tc_subprog.bpf.c:10)\n14: (71) r0 = *(u8 *)(r1 +23)\n');
  });

  it('prints a big-endian object in its own byte order', async () => {
    const le = (
      await call(objectInsns, [fixture('../own/build/cc_link.bpf.o'), '--program', 'link_ssthresh'])
    ).trim();
    const be = (
      await call(objectInsns, [fixture('../own/build/cc_link.bpfeb.o'), '--program', 'link_ssthresh'])
    ).trim();
    expect(Buffer.from(encodeInsns(decodeInsns(bytesFromHex(le), 'le'), 'be')).toString('hex')).toBe(be);
    expect(be).not.toBe(le);
  });

  it('fails with one line naming the file and why', async () => {
    const run = (argv: string[]) => objectInsns.run({ argv, stdout: () => {}, stderr: () => {} });
    await expect(run([fixture('cc_aimd.bpf.o')])).rejects.toThrow(/give --program NAME \(one of aimd_init/);
    await expect(run([fixture('cc_aimd.bpf.o'), '--program', 'nope'])).rejects.toThrow(/no program 'nope'/);
    await expect(run([join(__dirname, 'object-show.ts')])).rejects.toThrow(
      /object-show\.ts: ELF: not an ELF file/,
    );
    await expect(run([fixture('cc_aimd.bpf.o'), '--program', 'aimd_init', '--format', 'x'])).rejects.toThrow(
      '--format must be hex or text',
    );
  });
});
