import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  BtfBuilder,
  BtfRegistry,
  btfDistillFunc,
  findMember,
  funcProtoOf,
  KfuncSetRegistry,
  registerLinux618KfuncSets,
  resolveType,
  sizeOf,
  typeString,
} from '../../core/btf/index';
import { loadBtfFile, loadReferenceVmlinuxBtf, loadVmlinuxBtf, referenceVmlinuxBtfBytes } from './btf-files';

describe('reference vmlinux BTF', async () => {
  const btf = await loadReferenceVmlinuxBtf();
  const reg = new BtfRegistry(btf);

  it('parses all types', () => {
    // bpftool's raw dump of the same file ends at [126610].
    expect(btf.typeCount).toBe(126611);
    expect(btf.type(1)).toMatchObject({ kind: 'INT', name: 'long unsigned int', size: 8 });
  });

  it('lays out the structs the verifier models use', () => {
    const xdp = btf.findByName('xdp_buff', 'STRUCT')!;
    expect(findMember(btf, xdp, 'data_end')!.offset).toBe(8);
    expect(findMember(btf, xdp, 'frame_sz')!.path.length).toBe(2); // anonymous union → struct
    const skb = reg.findByName('sk_buff', 'STRUCT')!;
    expect(reg.sizeOf(skb)).toBe(btf.typeOfKind(skb.id, 'STRUCT').size);
    expect(reg.member('sk_buff', 'len')!.size).toBe(4);
    // A bitfield inside sk_buff, reached through the kflag encoding.
    const bit = reg.member('sk_buff', 'pkt_type')!;
    expect(bit.bitfieldSize).toBe(3);
    const ops = btf.findByName('tcp_congestion_ops', 'STRUCT')!;
    const ss = findMember(btf, ops, 'ssthresh')!;
    expect(ss.offset).toBe(0);
    const proto = funcProtoOf(btf, ss.type);
    expect(typeString(btf, proto.ret)).toBe('u32');
    expect(typeString(btf, proto.params[0]!.type)).toBe('struct sock *');
    expect(findMember(btf, ops, 'cong_avoid')!.offset).toBe(8);
    const ca = reg.memberFuncProto('tcp_congestion_ops', 'cong_avoid')!;
    expect(ca.params.map((p) => typeString(btf, p.type))).toEqual(['struct sock *', 'u32', 'u32']);
    expect(typeString(btf, ca.ret)).toBe('void');
    expect(sizeOf(btf, resolveType(btf, reg.member('tcp_sock', 'snd_cwnd')!.type))).toBe(4);
  });

  it('finds kfuncs and their protos', () => {
    const f = reg.funcProto('tcp_reno_ssthresh')!;
    expect(f.proto.params.map((p) => p.name)).toEqual(['sk']);
    const tags = btf.findAllByName('bpf_kfunc', 'DECL_TAG');
    expect(tags.length).toBeGreaterThan(100);
    expect(tags.some((t) => btf.nameOf(btf.sizeOrTypeOf(t)) === 'bpf_cast_to_kern_ctx')).toBe(true);
  });

  it('kfunc sets decide what the corpus programs may call', () => {
    const kreg = new KfuncSetRegistry(reg);
    const { missing, lists } = registerLinux618KfuncSets(kreg);
    // Only crash_kexec is compiled out of the reference kernel (no CONFIG_CRASH_DUMP).
    expect(missing).toEqual(['generic_btf_ids: crash_kexec']);
    expect(lists[0]!.ids.every((id) => id > 0)).toBe(true);
    const corpus = readFileSync(resolve(__dirname, '../../test/fixtures/corpus/cases.jsonl'), 'utf8');
    let checked = 0;
    for (const line of corpus.split('\n')) {
      if (!line) continue;
      const c = JSON.parse(line) as {
        prog_type: string;
        insns: string;
        kernel: { verdict: string; log: string };
      };
      const insns = Buffer.from(c.insns, 'hex');
      for (let i = 0; i < insns.length; i += 8) {
        if (insns[i] !== 0x85 || insns[i + 1]! >> 4 !== 2) continue;
        const id = insns.readInt32LE(i + 4);
        const name = btf.nameOf(id);
        const flags = kreg.kfuncIdSetContains(c.prog_type as 'struct_ops', 1, id);
        const denied = c.kernel.log.includes(`calling kernel function ${name} is not allowed`);
        expect(flags === undefined, `${name} in ${c.prog_type}`).toBe(denied);
        if (c.kernel.verdict === 'accept') expect(btfDistillFunc(btf, id).ok).toBe(true);
        checked++;
      }
    }
    expect(checked).toBe(89);
  });

  it('re-serializes to the identical bytes', () => {
    const raw = referenceVmlinuxBtfBytes();
    const out = BtfBuilder.fromBtf(btf).build();
    expect(out.length).toBe(raw.length);
    expect(Buffer.compare(out, raw)).toBe(0);
  });

  it('loadVmlinuxBtf returns a usable vmlinux', async () => {
    const vm = await loadVmlinuxBtf();
    expect(vm.findByName('task_struct', 'STRUCT')).toBeGreaterThan(0);
  });
});

describe('loadBtfFile', () => {
  it("reads gzip'ed raw BTF", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmodel-btf-'));
    const raw = referenceVmlinuxBtfBytes();
    writeFileSync(join(dir, 'vmlinux.btf.gz'), gzipSync(raw, { level: 1 }));
    const vm = await loadBtfFile(join(dir, 'vmlinux.btf.gz'));
    expect(vm.typeCount).toBe(126611);
  });

  it('throws for a missing file', async () => {
    await expect(loadBtfFile('/nonexistent/btf')).rejects.toThrow();
  });
});
