import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../../btf/btf';
import { BtfRegistry } from '../../btf/registry';
import { BPF_LD_ABS, BPF_LD_IND, BPF_LDX_MEM, BPF_MOV64_IMM, BPF_STX_MEM } from '../../isa/builders';
import { decodeInsns } from '../../isa/encoding';
import { BPF_B, BPF_DW, BPF_H, BPF_W } from '../../isa/opcodes';
import { x86_64AddressSpace } from '../../kernel/address-space';
import { kernelProfile } from '../../kernel/profiles';
import { REFERENCE_STRUCT_OPS } from '../../kernel/struct-ops-rules';
import { verifierOpsFor } from '.';
import { structOpsFromRules } from './struct-ops-rules';

const root = join(__dirname, '../../..');
const btf = new BtfRegistry(parseBtf(gunzipSync(readFileSync(join(root, 'assets/vmlinux.btf.gz')))));
const cases = new Map(
  readFileSync(join(root, 'test/fixtures/corpus/cases.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(
      (l) => JSON.parse(l) as { id: string; insns: string; kernel: { xlated: string | null; log: string } },
    )
    .map((c) => [c.id, c]),
);
const corpusCase = (id: string) => cases.get(id)!;
const insnsOf = (hex: string) =>
  decodeInsns(Uint8Array.from(hex.match(/../g)!.map((b) => Number.parseInt(b, 16))));
const as = x86_64AddressSpace();
const sf = verifierOpsFor('socket_filter', { btf, addressSpace: as });
const tc = verifierOpsFor('sched_cls', { btf, addressSpace: as });
const xdp = verifierOpsFor('xdp', { btf, addressSpace: as });

/** xlated insns of a corpus case, as the kernel emitted them. */
const xlated = (id: string) => insnsOf(corpusCase(id).kernel.xlated!);

describe('__sk_buff is_valid_access', () => {
  it('allows what the kernel allows', () => {
    expect(sf.isValidAccess(0, 4, 'read')).toEqual({ regType: 'SCALAR_VALUE', ctxFieldSize: 4 });
    expect(sf.isValidAccess(1, 1, 'read')?.ctxFieldSize).toBe(4); // narrow byte of len
    expect(sf.isValidAccess(48, 8, 'write')).toBeDefined(); // cb[0..1] as one u64
    expect(tc.isValidAccess(76, 4, 'read')?.regType).toBe('PTR_TO_PACKET');
    expect(tc.isValidAccess(80, 4, 'read')?.regType).toBe('PTR_TO_PACKET_END');
    expect(tc.isValidAccess(140, 4, 'read')?.regType).toBe('PTR_TO_PACKET_META');
    expect(tc.isValidAccess(8, 4, 'write')).toBeDefined(); // mark
    expect(tc.isValidAccess(168, 8, 'read')?.regType).toBe('PTR_TO_SOCK_COMMON_OR_NULL');
    expect(tc.isValidAccess(180, 1, 'read')).toBeDefined(); // tstamp_type, tc only
  });
  it('denies what the kernel denies', () => {
    expect(sf.isValidAccess(2, 4, 'read')).toBeUndefined(); // misaligned (hand-0024)
    expect(sf.isValidAccess(76, 4, 'read')).toBeUndefined(); // no packet pointers for socket filters
    expect(sf.isValidAccess(8, 4, 'write')).toBeUndefined(); // only cb is writable
    expect(sf.isValidAccess(0, 8, 'read')).toBeUndefined(); // wider than the field
    expect(tc.isValidAccess(0, 4, 'write')).toBeUndefined(); // len is read-only
    expect(tc.isValidAccess(88, 4, 'read')).toBeUndefined(); // family: not for tc
    expect(tc.isValidAccess(76, 4, 'read', { isLdsx: true })).toBeUndefined();
    expect(tc.isValidAccess(181, 1, 'read')).toBeUndefined(); // padding after tstamp_type
    expect(tc.isValidAccess(144, 8, 'read')).toBeUndefined(); // flow_keys
    expect(tc.isValidAccess(192, 4, 'read')).toBeUndefined(); // past the struct
    expect(sf.isValidAccess(180, 1, 'read')).toBeUndefined();
  });
});

describe('__sk_buff convert_ctx_access (offsets from BTF)', () => {
  it('narrow read of byte 1 of skb->len (hand-0021)', () => {
    const si = insnsOf(corpusCase('hand-0021').insns)[0]!;
    expect(sf.convertCtxAccess!('read', si, 4)).toEqual(xlated('hand-0021').slice(0, 3));
  });
  it('pkt_type bitfield (hand-0022)', () => {
    const si = insnsOf(corpusCase('hand-0022').insns)[0]!;
    expect(sf.convertCtxAccess!('read', si, 4)).toEqual(xlated('hand-0022').slice(0, 2));
  });
  it('data_meta and data for tc (hand-0046)', () => {
    const [a, b] = insnsOf(corpusCase('hand-0046').insns);
    const want = xlated('hand-0046');
    expect(tc.convertCtxAccess!('read', a!, 0)).toEqual([want[0]]);
    expect(tc.convertCtxAccess!('read', b!, 0)).toEqual([want[1]]);
  });
  it('ifindex: a socket filter checks skb->dev for NULL, tc does not (random-0593, random-0059)', () => {
    const ifindex = BPF_LDX_MEM(BPF_W, 3, 6, 40);
    const sfOut = sf.convertCtxAccess!('read', ifindex, 4);
    expect(sfOut).toEqual(xlated('random-0593').slice(8, 11));
    expect(sfOut[1]).toMatchObject({ code: 0x15, dst: 3, off: 1, imm: 0 }); // if r3 == 0 goto +1
    const tcOut = tc.convertCtxAccess!('read', BPF_LDX_MEM(BPF_W, 8, 8, 40), 4);
    expect(tcOut).toHaveLength(2);
    expect(tcOut.map((x) => x.code)).toEqual([0x79, 0x61]);
  });
  it('skb_shared_info fields go through head + end', () => {
    const out = tc.convertCtxAccess!('read', BPF_LDX_MEM(BPF_W, 7, 6, 176), 4);
    expect(out.map((i) => [i.code, i.dst, i.src, i.off])).toEqual([
      [0x61, 11, 6, 188],
      [0x79, 7, 6, 192],
      [0x0f, 7, 11, 0],
      [0x69, 7, 7, 4],
    ]);
  });
  it('stores keep their class (BPF_ST with imm)', () => {
    const st = { code: 0x62, dst: 1, src: 0, off: 8, imm: 5 };
    expect(tc.convertCtxAccess!('write', st, 0)).toEqual([{ code: 0x62, dst: 1, src: 0, off: 164, imm: 5 }]);
    const cb = tc.convertCtxAccess!('write', BPF_STX_MEM(BPF_DW, 1, 2, 56), 0);
    expect(cb).toEqual([BPF_STX_MEM(BPF_DW, 1, 2, 40 + 8 + 8)]);
  });
  it('ld_abs / ld_ind become bpf_skb_load_helper calls (hand-0047, hand-0048)', () => {
    expect(sf.genLdAbs!(BPF_LD_ABS(BPF_B, 9))).toEqual(xlated('hand-0047').slice(1, 7));
    expect(sf.genLdAbs!(BPF_LD_IND(BPF_H, 7, 2))).toEqual(xlated('hand-0048').slice(2, 9));
    const w = sf.genLdAbs!(BPF_LD_ABS(BPF_W, 0));
    expect(as.symbolForImm(w[2]!.imm)?.name).toBe('bpf_skb_load_helper_32_no_cache');
  });
});

describe('tc unclone prologue', () => {
  it('matches the 6.18 xlated of hand-0183 (helper id resolved later by do_misc_fixups)', () => {
    const insns = insnsOf(corpusCase('hand-0183').insns);
    const pro = tc.genPrologue!(true, insns[0]);
    const want = xlated('hand-0183');
    expect(pro.length).toBe(11);
    expect(pro[5]).toEqual({ code: 0x85, dst: 0, src: 0, off: 0, imm: 39 });
    expect(pro.slice(0, 5)).toEqual(want.slice(0, 5));
    expect(pro.slice(6, 10)).toEqual(want.slice(6, 10));
    expect(pro[10]).toEqual(insns[0]);
  });
  it('is empty without direct writes, and a direct call in the 2026 profile', () => {
    expect(tc.genPrologue!(false, BPF_MOV64_IMM(0, 0))).toEqual([]);
    const next = verifierOpsFor('sched_cls', {
      btf,
      addressSpace: as,
      profile: kernelProfile('bpf-next-2026'),
    });
    const pro = next.genPrologue!(true, BPF_MOV64_IMM(0, 0));
    expect(as.symbolForImm(pro[5]!.imm)?.name).toBe('bpf_skb_pull_data');
  });
});

describe('xdp_md', () => {
  it('is_valid_access', () => {
    expect(xdp.isValidAccess(0, 4, 'read')?.regType).toBe('PTR_TO_PACKET');
    expect(xdp.isValidAccess(4, 4, 'read')?.regType).toBe('PTR_TO_PACKET_END');
    expect(xdp.isValidAccess(0, 8, 'read')).toBeUndefined(); // hand-0040
    expect(xdp.isValidAccess(12, 2, 'read')).toBeUndefined(); // no narrow loads
    expect(xdp.isValidAccess(12, 4, 'write')).toBeUndefined();
    expect(xdp.isValidAccess(20, 4, 'read')).toBeUndefined(); // egress_ifindex: devmap only
  });
  it('ingress_ifindex and rx_queue_index go through xdp_rxq_info (hand-0043)', () => {
    const [a, b] = insnsOf(corpusCase('hand-0043').insns);
    const want = xlated('hand-0043');
    expect(xdp.convertCtxAccess!('read', a!, 0)).toEqual(want.slice(0, 3));
    expect(xdp.convertCtxAccess!('read', b!, 0)).toEqual(want.slice(3, 5));
  });
});

describe('get_func_proto', () => {
  it('per program type', () => {
    expect(sf.getFuncProto(26)?.symbol).toBe('bpf_skb_load_bytes');
    expect(sf.getFuncProto(9)).toBeUndefined(); // skb_store_bytes: tc only
    expect(tc.getFuncProto(9)?.changesPktData).toBe(true);
    expect(xdp.getFuncProto(9)).toBeUndefined(); // random-0054
    expect(xdp.getFuncProto(44)?.symbol).toBe('bpf_xdp_adjust_head');
    expect(sf.getFuncProto(65)).toBeUndefined(); // random-0530
    expect(tc.getFuncProto(0)).toBeUndefined(); // bpf_unspec
    expect(sf.getFuncProto(7)?.symbol).toBe('bpf_user_rnd_u32');
    expect(xdp.getFuncProto(23)?.symbol).toBe('bpf_xdp_redirect');
  });
});

describe('struct_ops (tcp_congestion_ops, rules of models/tcp_cc.yaml)', () => {
  const logs: string[] = [];
  const rules = REFERENCE_STRUCT_OPS.find((r) => r.name === 'tcp_congestion_ops')!;
  const structOps = structOpsFromRules(rules, btf.vmlinux.btf);
  const ssthresh = verifierOpsFor('struct_ops', {
    btf,
    attach: { struct: 'tcp_congestion_ops', member: 'ssthresh', memberIndex: 0 },
    log: (l) => logs.push(l),
    structOps,
  });
  const congAvoid = verifierOpsFor('struct_ops', {
    btf,
    attach: { struct: 'tcp_congestion_ops', member: 'cong_avoid', memberIndex: 1 },
    log: (l) => logs.push(l),
    structOps,
  });
  it('types arg0 as a trusted tcp_sock and logs like btf_ctx_access (hand-0156)', () => {
    logs.length = 0;
    const info = ssthresh.isValidAccess(0, 8, 'read');
    const tcpSock = btf.findByName('tcp_sock', 'STRUCT')!.id;
    expect(info).toMatchObject({ regType: 'PTR_TO_BTF_ID', btfId: tcpSock, trusted: true });
    expect(logs).toEqual(
      corpusCase('hand-0156')
        .kernel.log.split('\n')
        .filter((l) => l.startsWith("func '")),
    );
  });
  it('integer args are scalars; bad offsets and writes are refused', () => {
    expect(congAvoid.isValidAccess(8, 4, 'read')).toEqual({ regType: 'SCALAR_VALUE' });
    expect(congAvoid.isValidAccess(4, 8, 'read')).toBeUndefined(); // random-1300
    expect(congAvoid.isValidAccess(-8, 8, 'read')).toBeUndefined(); // random-1364
    expect(congAvoid.isValidAccess(0, 8, 'write')).toBeUndefined();
    logs.length = 0;
    expect(congAvoid.isValidAccess(24, 8, 'read')).toBeUndefined();
    expect(logs).toEqual(["func 'cong_avoid' doesn't have 4-th argument"]);
  });
  it('return and helper facts', () => {
    expect(ssthresh.r0Optional).toBe(false);
    expect(congAvoid.r0Optional).toBe(true);
    expect(ssthresh.gplRequired).toBe(true);
    expect(ssthresh.getFuncProto(65)).toBeUndefined(); // random-0214
    expect(ssthresh.getFuncProto(116)?.name).toBe('bpf_tcp_send_ack');
    expect(ssthresh.member?.offset).toBe(0);
  });
});
