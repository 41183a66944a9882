import { readFileSync } from 'node:fs';
import { BtfRegistry } from '../../core/btf/registry';
import {
  buildEnv,
  type CorpusCase,
  caseToLoadAttr,
  corpusLog,
  firstLineDiff,
} from '../../core/verifier/corpus';
import { bpfCheck } from '../../core/verifier/index';
import { loadReferenceVmlinuxBtfSync } from '../../main/host/btf-files';

const cases = readFileSync('test/fixtures/corpus/log-level2.jsonl', 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as CorpusCase & { source: string });
const btf = new BtfRegistry(loadReferenceVmlinuxBtfSync());
let same = 0;
const cat = new Map<string, number>();
const only = process.argv[2];
for (const c of cases) {
  if (only && c.id !== only && c.source !== only) continue;
  const vr = bpfCheck(caseToLoadAttr(c, 2), buildEnv(c, { btf }));
  const d = firstLineDiff(c.kernel.log, corpusLog(c, vr.log));
  if (!d) {
    same++;
    continue;
  }
  const k = (d.kernel ?? '<end>').replace(/\d+/g, 'N').slice(0, 40);
  const m = (d.model ?? '<end>').replace(/\d+/g, 'N').slice(0, 40);
  const key = `K ${k} | M ${m}`;
  cat.set(key, (cat.get(key) ?? 0) + 1);
  if (process.env.V) console.log(c.id, c.source, d.line, '\n  K', d.kernel, '\n  M', d.model);
  if (only) console.log(vr.log);
}
console.log(`identical ${same}/${cases.length}`);
for (const [k, n] of [...cat].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(n, k);
