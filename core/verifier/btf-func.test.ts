import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { objectBytes, referenceBtf } from '../../test/fixtures/objects/load';
import { BtfRegistry } from '../btf/registry';
import { bpfProgLoad } from '../kernel/prog-load';
import { kernelVersionOf } from '../object/externs';
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

const target = referenceBtf();
const registry = new BtfRegistry(target);
const PROG_TYPES: Record<string, ProgTypeName> = { sched_cls: 'sched_cls', xdp: 'xdp' };

/** What differs only because the kernel prints map addresses and names: C lines, map text. */
function normalise(log: string): string {
  return log
    .split('\n')
    .filter((l) => !l.startsWith('; '))
    .map((l) =>
      l
        .replace(/\(18\) (r\d+) = (0x[0-9a-f]{16}|<map:\d+>)\s*;/, '(18) $1 = MAP ;')
        .replace(/map=[A-Za-z_0-9.]+/g, 'map=M'),
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
  return bpfProgLoad(
    {
      insns: p.insns,
      progType: PROG_TYPES[p.progType!]!,
      maps,
      logLevel,
      ...(progBtf ? { progBtf } : {}),
    },
    { btf: registry },
    { jit: false },
  ).verifier;
}

/** Callbacks (bpf_loop) are not modelled yet. */
const NOT_MODELLED = new Set(['loop_sum', 'loop_stop', 'loop_badret']);

describe('programs with BTF func_info against Linux 6.18 (kernel.jsonl)', () => {
  for (const k of answers().filter((a) => a.level === 1 && !NOT_MODELLED.has(a.program))) {
    it(`${k.object} ${k.program}: the kernel's verdict and level-1 log`, () => {
      const r = verify(k.object, k.program, 1);
      expect(r.errno).toBe(k.errno);
      expect(normalise(r.log)).toBe(normalise(k.log));
    });
  }
});
