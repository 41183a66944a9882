// Model check and design comparison: time per shipped model (warm, BTF parsed once).
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compareDesigns } from '../core/analysis/compare';
import { BtfRegistry } from '../core/btf/registry';
import { checkModel } from '../core/model/check';
import { modelVerifier } from '../core/model/verify';
import { loadReferenceVmlinuxBtfSync } from '../main/host/btf-files';
import type { BenchRow, BenchSuite } from './types';

const root = resolve(import.meta.dirname, '..');

export const run: BenchSuite = async () => {
  const base = loadReferenceVmlinuxBtfSync();
  const btf = new BtfRegistry(base);
  const dir = join(root, 'models');
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  const rows: BenchRow[] = [];
  const time = (f: () => void, n: number): number => {
    f();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) f();
    return (performance.now() - t0) / n;
  };
  let total = 0;
  for (const f of files) {
    const text = readFileSync(join(dir, f), 'utf8');
    const ms = time(() => checkModel(f, text, { btf, verify: modelVerifier }), 3);
    total += ms;
    rows.push({ area: 'model', what: `model check ${f}`, value: ms, unit: 'ms' });
  }
  rows.push({
    area: 'model',
    what: 'model check, all shipped models',
    value: total,
    unit: 'ms',
    reference: '≤ 1000 ms',
    ok: total <= 1000,
  });
  const qdisc = readFileSync(join(dir, 'qdisc.yaml'), 'utf8');
  const check = checkModel('qdisc.yaml', qdisc, { btf });
  rows.push({
    area: 'model',
    what: 'compare qdisc.yaml (3 members × 3 designs × 4 profiles runs)',
    value: time(() => compareDesigns(check, base, { profile: 'auto' }), 3),
    unit: 'ms',
  });
  return rows;
};
