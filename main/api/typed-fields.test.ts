import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BtfRegistry } from '../../core/btf/registry';
import { insnsFromHex } from '../../core/isa/encoding';
import { type CorpusCase, caseToLoadAttr } from '../../core/verifier/corpus';
import { bpfCheck } from '../../core/verifier/index';
import { loadReferenceVmlinuxBtfSync } from '../host/btf-files';
import { fieldPathAt, pointerTypesByInsn, typedFields } from './typed-fields';

const root = join(__dirname, '../..');
const btf = loadReferenceVmlinuxBtfSync();
const corpus = readFileSync(join(root, 'test/fixtures/corpus/cases.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as CorpusCase);

describe('typed fields', () => {
  it('names the member at an offset, through nested structs and arrays', () => {
    const sock = btf.findByName('tcp_sock', 'STRUCT')!;
    const t = btf.type(sock);
    if (t.kind !== 'STRUCT') throw new Error('tcp_sock');
    const cwnd = t.members.find((m) => m.name === 'snd_cwnd')!;
    expect(fieldPathAt(btf, 'tcp_sock', cwnd.bitOffset / 8)).toBe('tcp_sock.snd_cwnd');
    // Offset 0 of tcp_sock is deep inside its first member's first member.
    expect(fieldPathAt(btf, 'tcp_sock', 0)).toMatch(/^tcp_sock\.inet_conn\.icsk_inet\.sk\./);
    expect(fieldPathAt(btf, 'no_such_struct', 0)).toBeUndefined();
  });

  it('reads the register types a level-2 log prints, per insn', () => {
    const log = [
      '0: R1=ctx() R10=fp0',
      '0: (79) r1 = *(u64 *)(r1 +0)',
      '1: R1=trusted_ptr_tcp_sock()',
      '1: (61) r0 = *(u32 *)(r1 +1444)       ; R0=scalar(smin=0,var_off=(0x0; 0xffffffff)) R1=trusted_ptr_tcp_sock()',
      '2: (bf) r1 = r0                      ; R1=scalar()',
      '3: (95) exit',
    ].join('\n');
    const t = pointerTypesByInsn(log);
    expect(t.get(0)).toBeUndefined();
    expect(t.get(1)?.get(1)).toBe('tcp_sock');
    expect(t.get(3)?.get(1)).toBeUndefined();
  });

  it('a tcp-cc corpus program: the snd_cwnd load is named, from kmodel’s own level-2 log', () => {
    const c = corpus.find((x) => x.id === 'clang-0002')!;
    const vr = bpfCheck(caseToLoadAttr(c, 2), { btf: new BtfRegistry(btf) });
    const f = typedFields(insnsFromHex(c.insns), vr.log, btf);
    expect(f.get(1)).toBe('tcp_sock.snd_cwnd');
    expect(f.has(0)).toBe(false); // a ctx load (the args array), not a BTF struct
  });
});
