import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { objectBytes, referenceBtf } from '../../test/fixtures/objects/load';
import { BtfRegistry } from '../btf/registry';
import { insnsFromHex, insnsToHex } from '../isa/encoding';
import { bpfProgLoad } from '../kernel/prog-load';
import { kernelVersionOf } from '../object/externs';
import { logWithLineInfo } from '../object/log-linfo';
import { loadBpfObject } from '../object/object';
import { progBtfOf } from '../object/prog-btf';
import type { MapDef } from './index';
import type { ProgTypeName } from './progtypes/names';

interface KernelAnswer {
  object: string;
  program: string;
  level: 1 | 2;
  errno: number;
  log: string;
  xlated?: string;
}

const FIXTURES = join(__dirname, '../../test/fixtures/objects/verifier');
const answers = (): KernelAnswer[] =>
  readFileSync(join(FIXTURES, 'kernel.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as KernelAnswer);

/** ld_imm64 of a map (src 1/2): the address halves differ between the kernel and the model. */
function withoutMapAddrs(hex: string): string {
  const out: string[] = [];
  for (let i = 0; i < hex.length; i += 16) {
    const slot = hex.slice(i, i + 16);
    const src = Number.parseInt(slot.slice(2, 4), 16) >> 4;
    if (slot.startsWith('18') && (src === 1 || src === 2)) {
      out.push(`${slot.slice(0, 8)}--------`, `${hex.slice(i + 16, i + 24)}--------`);
      i += 16;
    } else out.push(slot);
  }
  return out.join('');
}
const target = referenceBtf();
const registry = new BtfRegistry(target);
const PROG_TYPES: Record<string, ProgTypeName> = {
  sched_cls: 'sched_cls',
  xdp: 'xdp',
  struct_ops: 'struct_ops',
  kprobe: 'kprobe',
};

/** What differs only because the kernel prints map addresses and names (and the live kernel's BTF ids). */
function normalise(log: string): string {
  return log
    .split('\n')
    .map((l) =>
      l
        .replace(/\(18\) (r\d+) = (0x[0-9a-f]{16}|<map:\d+>)\s*;/, '(18) $1 = MAP ;')
        .replace(/map=[A-Za-z_0-9.]+/g, 'map=M')
        .replace(/has btf_id \d+ type/, 'has btf_id N type'),
    )
    .join('\n');
}

function verify(object: string, program: string, logLevel: 1 | 2) {
  const obj = loadBpfObject(objectBytes(`verifier/${object}`), {
    target,
    kconfig: { kernelVersion: kernelVersionOf('6.18.44') },
  });
  const p = obj.loaded.find((x) => x.name === program)!;
  const maps = p.maps.map(
    (m): MapDef => ({
      type: m.type as MapDef['type'],
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries,
    }),
  );
  const progBtf = progBtfOf(obj, p);
  const r = bpfProgLoad(
    {
      insns: p.insns,
      progType: PROG_TYPES[p.progType!]!,
      // struct_ops: the member its object's map binds it to (the compiled rules of the shipped models).
      ...(p.attach ? { attach: { struct: p.attach.struct, member: p.attach.member } } : {}),
      maps,
      logLevel,
      ...(progBtf ? { progBtf } : {}),
    },
    { btf: registry },
    { jit: false },
  ).verifier;
  // The C lines, as the kernel prints them for a load with line_info.
  return { ...r, log: logWithLineInfo(r.log, p.lineInfo) };
}

describe('programs with BTF func_info against Linux 6.18 (kernel.jsonl)', () => {
  for (const k of answers().filter((a) => a.level === 1)) {
    it(`${k.object} ${k.program}: the kernel's verdict and level-1 log`, () => {
      const r = verify(k.object, k.program, 1);
      expect(r.errno).toBe(k.errno);
      // (peak_states included: a callback walk's SCC backedge states count in it.)
      expect(normalise(r.log)).toBe(normalise(k.log));
      // The kernel's xlated program, bpf_loop inlined (map addresses aside: the dump shows ours as 0).
      if (k.xlated) expect(r.xlated && withoutMapAddrs(insnsToHex(r.xlated))).toBe(withoutMapAddrs(k.xlated));
    });
  }
});

describe('level 2: what the kernel prints before do_check', () => {
  // func#N @start per function, then each insn's live registers behind its loop (SCC) number.
  const prelude = (log: string) => {
    const lines = log.split('\n');
    return lines
      .slice(
        0,
        lines.findIndex((l) => /^\d+: /.test(l)),
      )
      .map((l) => l.replace(/ = (0x[0-9a-f]{16}|<map:\d+>|<map_value:\d+\+\d+>)$/, ' = MAP'));
  };
  for (const k of answers().filter((a) => a.level === 2)) {
    it(`${k.object} ${k.program}`, () => {
      const want = prelude(k.log);
      expect(want[0]).toBe('func#0 @0');
      expect(want).toContain('Live regs before insn:');
      expect(prelude(verify(k.object, k.program, 2).log)).toEqual(want);
    });
  }
});

describe('loads without program BTF (raw.jsonl, Linux 6.18)', () => {
  const raw = readFileSync(join(FIXTURES, 'raw.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map(
      (l) =>
        JSON.parse(l) as { name: string; prog_type: ProgTypeName; insns: string; errno: number; log: string },
    );
  for (const k of raw) {
    it(`${k.name}: the kernel's verdict and log`, () => {
      const r = bpfProgLoad(
        { insns: insnsFromHex(k.insns), progType: k.prog_type, logLevel: 1 },
        { btf: registry },
        { jit: false },
      ).verifier;
      expect(r.errno).toBe(k.errno);
      expect(r.log).toBe(k.log);
    });
  }
});

describe('check_btf_func: func_info must describe the subprograms', () => {
  const obj = loadBpfObject(objectBytes('verifier/build/btf_funcs.bpf.o'), {
    target,
    kconfig: { kernelVersion: kernelVersionOf('6.18.44') },
  });
  const p = obj.loaded.find((x) => x.name === 'glob_scalar')!;
  const load = (funcInfo: { insnOff: number; typeId: number }[]) =>
    bpfProgLoad(
      { insns: p.insns, progType: 'sched_cls', logLevel: 1, progBtf: { btf: obj.btf!, funcInfo } },
      { btf: registry },
      { jit: false },
    ).verifier;
  const [main, sub] = p.funcInfo;

  it('refuses a record count that is not the subprogram count', () => {
    const r = load([main!]);
    expect([r.errno, r.error]).toEqual([22, "number of funcs in func_info doesn't match number of subprogs"]);
  });

  it('refuses a record not at its subprogram start', () => {
    const r = load([main!, { ...sub!, insnOff: sub!.insnOff + 1 }]);
    expect([r.errno, r.error]).toEqual([22, "func_info BTF section doesn't match subprog start"]);
  });

  it('refuses records out of order and types that are not FUNC', () => {
    expect(load([sub!, main!]).error).toBe(`nonzero insn_off ${sub!.insnOff} for the first func info record`);
    expect(load([main!, { ...sub!, typeId: 1 }]).error).toBe('invalid type id 1 in func info');
  });
});

describe('typed ksyms (ld_imm64 BPF_PSEUDO_BTF_ID of vmlinux)', () => {
  const hexLe = (n: number) => Buffer.from(new Uint32Array([n]).buffer).toString('hex');
  /** r1 = ksym(id); `then` (one insn, hex); exit. */
  const ldKsym = (id: number, then: string) =>
    bpfProgLoad(
      {
        insns: insnsFromHex(`18310000${hexLe(id)}0000000000000000${then}9500000000000000`),
        progType: 'sched_cls',
        logLevel: 1,
      },
      { btf: registry },
      { jit: false },
    ).verifier;

  it('refuses a variable: the reference build has no data symbols in kallsyms (no CONFIG_KALLSYMS_ALL)', () => {
    const id = target.findByName('runqueues', 'VAR')!;
    const r = ldKsym(id, 'b700000000000000');
    expect([r.errno, r.error]).toEqual([
      2,
      "ldimm64 failed to find the address for kernel symbol 'runqueues'.",
    ]);
  });

  it('gives a function as read-only memory of size 0', () => {
    const id = target.findByName('bpf_loop', 'FUNC')!;
    expect(ldKsym(id, 'b700000000000000').verdict).toBe('accept');
    const r = ldKsym(id, '6110000000000000');
    expect(r.log).toContain('invalid access to memory, mem_size=0 off=0 size=4');
  });
});

describe('log level 2 begins as the kernel does', () => {
  const funcLines = (log: string) => log.split('\n').filter((l) => /^func#\d+ @\d+$/.test(l));
  for (const k of answers().filter((a) => a.level === 2)) {
    it(`${k.program}: func#N @start for every function`, () => {
      const r = verify(k.object, k.program, 2);
      expect(funcLines(r.log)).toEqual(funcLines(k.log));
      expect(r.log.startsWith(funcLines(k.log).join('\n'))).toBe(true);
    });
  }
});
