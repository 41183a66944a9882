import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../btf/btf';
import { BtfRegistry } from '../btf/registry';
import { memberCapabilities } from './capabilities';
import { checkModel } from './check';

const root = resolve(__dirname, '../..');
const registry = new BtfRegistry(parseBtf(gunzipSync(readFileSync(join(root, 'assets/vmlinux.btf.gz')))));
const sheet = (f: string) => {
  const r = checkModel(f, readFileSync(join(root, 'models', f), 'utf8'), { btf: registry });
  return new Map(memberCapabilities(r.resolved!).map((c) => [c.member, c]));
};

describe('member capability sheet', () => {
  it('qdisc: __ref skb and the to_free override on enqueue, per-op kfunc sets, generated code', () => {
    const q = sheet('qdisc.yaml');
    expect([...q.keys()]).toEqual(['enqueue', 'dequeue', 'init', 'reset', 'destroy']);
    expect(q.get('enqueue')!.args).toEqual([
      { name: 'skb', type: 'struct sk_buff *', annotations: ['__ref'] },
      { name: 'sch', type: 'struct Qdisc *', annotations: [] },
      { name: 'to_free', type: 'struct bpf_sk_buff_ptr *', annotations: [] },
    ]);
    const names = (m: string) => q.get(m)!.kfuncs.map((k) => k.name);
    expect(names('enqueue')).toContain('bpf_qdisc_skb_drop');
    expect(names('reset')).not.toContain('bpf_qdisc_watchdog_schedule');
    expect(names('dequeue')).toContain('bpf_qdisc_bstats_update');
    expect(names('init')).not.toContain('bpf_qdisc_init_prologue');
    expect([q.get('init')!.prologue, q.get('reset')!.epilogue, q.get('enqueue')!.prologue]).toEqual([
      true,
      true,
      false,
    ]);
    expect(q.get('dequeue')!.returns).toBe('struct sk_buff *');
  });

  it('tcp_cc: get_info unsupported, sock promoted to tcp_sock, its helpers on top of the base', () => {
    const t = sheet('tcp_cc.yaml');
    expect(t.get('get_info')!.supported).toBe(false);
    expect(t.get('ssthresh')!.args[0]!.type).toBe('struct tcp_sock *');
    expect(t.get('ssthresh')!.helpers).toContain('bpf_tcp_send_ack');
    expect(t.get('ssthresh')!.writable).toContain('tcp_sock.snd_cwnd');
  });

  it('tcp_cc: setsockopt/getsockopt for every member but release (helper_rule)', () => {
    const t = sheet('tcp_cc.yaml');
    expect(t.get('init')!.helpers).toEqual(expect.arrayContaining(['bpf_setsockopt', 'bpf_getsockopt']));
    expect(t.get('release')!.helpers).not.toContain('bpf_setsockopt');
    expect(t.get('release')!.helpers).not.toContain('bpf_getsockopt');
    expect(t.get('release')!.helpers).toContain('bpf_sk_storage_get');
  });

  it('sched_ext: writes inside task_struct.scx', () => {
    expect(sheet('sched_ext.yaml').get('enqueue')!.writable).toEqual([
      'task_struct.scx.slice',
      'task_struct.scx.dsq_vtime',
      'task_struct.scx.disallow',
    ]);
  });

  it('hid_bpf: sleepable only where check_member allows it; sleepable-only kfuncs marked', () => {
    const h = sheet('hid_bpf.yaml');
    expect(h.get('hid_device_event')!.sleepable).toBe('no');
    expect(h.get('hid_rdesc_fixup')!.sleepable).toBe('allowed');
    expect(h.get('hid_device_event')!.kfuncs).toContainEqual({
      name: 'hid_bpf_allocate_context',
      sleepableOnly: true,
    });
    expect(h.get('hid_device_event')!.helpers).not.toContain('bpf_tcp_send_ack');
  });
});
