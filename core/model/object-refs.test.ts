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
const tcpCc = readFileSync(join(root, 'models/tcp_cc.yaml'), 'utf8');
const objects = join(root, 'test/fixtures/objects/build');
const read: string[] = [];
const readObject = (path: string) => {
  read.push(path);
  return new Uint8Array(readFileSync(join(objects, path)));
};
const check = (text: string, withReader = true) =>
  checkModel('cc.yaml', text, {
    btf: registry,
    verify: modelVerifier,
    ...(withReader ? { readObject } : {}),
  });
const errors = (text: string, withReader = true) =>
  check(text, withReader)
    .diagnostics.filter((d) => d.severity === 'error')
    .map(formatDiagnostic);
/** tcp_cc.yaml with its instances replaced. */
const withInstances = (yaml: string) =>
  `${tcpCc.slice(0, tcpCc.indexOf('\ninstances:'))}\ninstances:\n${yaml}`;

describe('programs and instances from BPF objects', () => {
  it("a tcp_congestion_ops object's struct_ops map is an instance: its programs load and it registers", () => {
    read.length = 0;
    const r = check(
      withInstances('  - { object: cc_rate.bpf.o, map: krate }\n  - { object: cc_aimd.bpf.o }\n'),
    );
    expect(r.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic)).toEqual([]);
    // cc_rate implements cong_control, not cong_avoid: tcp_validate_congestion_control takes either.
    expect(r.instances).toEqual([
      { name: 'krate', error: null },
      { name: 'kaimd', error: null },
    ]);
    expect(read).toEqual(['cc_rate.bpf.o', 'cc_aimd.bpf.o']);
    const fromObjects = r.programs.filter((p) => /^(rate|aimd)_/.test(p.name));
    expect(fromObjects.map((p) => [p.name, p.member, p.verified])).toEqual([
      // In the struct's member order, as the map binds them.
      ['rate_ssthresh', 'ssthresh', 'ok'],
      ['rate_pkts_acked', 'pkts_acked', 'ok'],
      ['rate_cong_control', 'cong_control', 'ok'],
      ['rate_undo_cwnd', 'undo_cwnd', 'ok'],
      ['aimd_ssthresh', 'ssthresh', 'ok'],
      ['aimd_cong_avoid', 'cong_avoid', 'ok'],
      ['aimd_undo_cwnd', 'undo_cwnd', 'ok'],
      ['aimd_init', 'init', 'ok'],
    ]);
    // The insns are the object's as libbpf loads them.
    expect(fromObjects.find((p) => p.name === 'rate_cong_control')!.insns).toBe(23);
  });

  it('a programs entry names a program of an object; its member comes from the struct_ops map', () => {
    const text = tcpCc.replace(
      '\nprograms:\n',
      '\nprograms:\n  - { object: cc_bug_write.bpf.o, program: bugw_init }\n  - { object: cc_reno.bpf.o, program: reno_cong_avoid, name: obj_cong_avoid }\n',
    );
    const r = check(text);
    const bugw = r.programs.find((p) => p.name === 'bugw_init')!;
    expect([bugw.member, bugw.verified]).toEqual(['init', 'rejected']);
    expect(bugw.error).toMatch(/tcp_sock/);
    expect(r.programs.find((p) => p.name === 'obj_cong_avoid')).toMatchObject({
      member: 'cong_avoid',
      insns: 6,
      verified: 'ok',
    });
  });

  it('names the entry at fault: a missing program or map, an unreadable object, no reader', () => {
    expect(errors(withInstances('  - { object: cc_rate.bpf.o, map: nope }\n'))).toEqual([
      expect.stringMatching(
        /^cc\.yaml:\d+:\d+: object cc_rate\.bpf\.o: no struct_ops map 'nope' \(struct_ops maps: krate\)$/,
      ),
    ]);
    const missing = tcpCc.replace(
      '\nprograms:\n',
      '\nprograms:\n  - { object: cc_rate.bpf.o, program: nope }\n',
    );
    expect(errors(missing)).toEqual([
      expect.stringMatching(/: object cc_rate\.bpf\.o: no program 'nope' \(programs: rate_cong_control, /),
    ]);
    expect(errors(withInstances('  - { object: gone.bpf.o }\n'))).toEqual([
      expect.stringMatching(/: object gone\.bpf\.o: .*ENOENT|no such file/i),
    ]);
    expect(errors(withInstances('  - { object: cc_rate.bpf.o }\n'), false)).toEqual([
      expect.stringMatching(/: object cc_rate\.bpf\.o: BPF objects are read by `kmodel model check`/),
    ]);
  });
});
