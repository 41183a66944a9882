import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../btf/btf';
import { BtfRegistry } from '../btf/registry';
import { checkModel } from './check';
import { formatDiagnostic } from './load';
import { modelVerifier } from './verify';

const root = resolve(__dirname, '../..');
const registry = new BtfRegistry(parseBtf(gunzipSync(readFileSync(join(root, 'assets/vmlinux.btf.gz')))));
const qdisc = readFileSync(join(root, 'models/qdisc.yaml'), 'utf8');
const check = (text: string) => checkModel('q.yaml', text, { btf: registry, verify: modelVerifier });
const errors = (text: string) =>
  check(text)
    .diagnostics.filter((d) => d.severity === 'error')
    .map(formatDiagnostic);

describe('struct_ops instances (map update and registration)', () => {
  it('accepts a complete qdisc and refuses one bpf_qdisc_validate rejects, as pinned', () => {
    const r = check(qdisc);
    expect(r.instances.slice(0, 2)).toEqual([
      { name: 'fifo', error: null },
      { name: 'fifo_without_dequeue', error: 'Qdisc_ops requires dequeue (-EINVAL, errno only)' },
    ]);
    expect(errors(qdisc)).toEqual([]);
  });

  it('reports a refusal that is not pinned, and a pinned one that no longer happens', () => {
    const unpinned = qdisc.replace(
      '    expect: { error: "Qdisc_ops requires dequeue (-EINVAL, errno only)" }\n',
      '',
    );
    expect(errors(unpinned)).toEqual([
      expect.stringMatching(
        /: instance fifo_without_dequeue: Qdisc_ops requires dequeue \(-EINVAL, errno only\)$/,
      ),
    ]);
    const complete = qdisc.replace(
      '    programs: { enqueue: drop_all_enqueue, init:',
      '    programs: { enqueue: drop_all_enqueue, dequeue: empty_dequeue, init:',
    );
    expect(errors(complete)).toEqual([
      expect.stringMatching(
        /: instance fifo_without_dequeue is accepted, expected: Qdisc_ops requires dequeue/,
      ),
    ]);
  });

  it('a program the verifier refuses makes the instance fail to load it', () => {
    const text = qdisc.replace(
      'init: fifo_init, reset: fifo_reset, destroy: fifo_destroy }\n    data: { id: bpf_fifo }\n  - name: fifo_without',
      'init: init_writes_flags, reset: fifo_reset, destroy: fifo_destroy }\n    data: { id: bpf_fifo }\n  - name: fifo_without',
    );
    expect(check(text).instances[0]).toEqual({
      name: 'fifo',
      error: 'program init_writes_flags for init failed to load: no write support to Qdisc at off 16',
    });
  });

  it('names a member or program that does not fit', () => {
    const text = qdisc.replace('dequeue: empty_dequeue, init: fifo_init', 'dequeue: fifo_init, init: nope');
    expect(errors(text)).toEqual([
      expect.stringMatching(/: program 'fifo_init' implements init, not dequeue$/),
      expect.stringMatching(/: no program 'nope'$/),
    ]);
  });
});
