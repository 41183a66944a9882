import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from './errors';
import { btfOpsMembers, parseAttach, progAttach } from './prog-attach';
import { shippedModelsOf } from './prog-attach-model';
import { referenceRegistry } from './reference-btf';

const btf = () => referenceRegistry();
const byoModel = () => {
  const dir = mkdtempSync(join(tmpdir(), 'kmodel-attach-'));
  const file = join(dir, 'demo.yaml');
  copyFileSync(resolve(__dirname, '../test/fixtures/model/byo-demo.yaml'), file);
  return file;
};

describe('program attach targets (--prog-type, --attach, --model)', () => {
  it('--model gives the program the model’s struct_ops hooks, kfuncs and ctx rules', async () => {
    const t = await progAttach({
      progType: undefined,
      attach: 'demo_filter_ops:classify',
      model: byoModel(),
      btf: btf(),
    });
    expect(t.attr.progType).toBe('struct_ops');
    expect(t.attr.attach).toEqual({ struct: 'demo_filter_ops', member: 'classify' });
    expect(t.attr.structOps?.genEpilogue).toBeTypeOf('function');
    expect(t.attr.kfuncs?.allowed('demo_account')).toBe(true);
    // ctx rules (writable fields) are the model's struct_ops btf_struct_access.
    expect(t.attr.structOps?.btfStructAccess).toBeTypeOf('function');
    expect(t.model?.name).toBe('demo');
  });

  it('a struct_ops type a shipped model describes loads with that model, and says so', async () => {
    expect(shippedModelsOf('Qdisc_ops')).toEqual(['qdisc']);
    const notes: string[] = [];
    const t = await progAttach({
      progType: 'struct_ops',
      attach: 'Qdisc_ops:init',
      model: undefined,
      btf: btf(),
      note: (l) => notes.push(l),
    });
    expect(t.model?.name).toBe('qdisc');
    expect(t.attr.structOps?.genPrologue).toBeTypeOf('function');
    expect(notes.join('\n')).toMatch(/Qdisc_ops loads with the shipped model 'qdisc'/);
  });

  it('STRUCT:#INDEX is expected_attach_type: an op member loads as by name, any other index is the kernel’s to refuse', async () => {
    expect(parseAttach('tcp_congestion_ops:#8')).toEqual({
      struct: 'tcp_congestion_ops',
      member: null,
      memberIndex: 8,
    });
    expect(() => parseAttach('tcp_congestion_ops:#-1')).toThrow(/STRUCT:MEMBER or STRUCT:#INDEX/);
    expect(() => parseAttach('tcp_congestion_ops:#4294967296')).toThrow(/u32/);
    const at = (attach: string) =>
      progAttach({ progType: 'struct_ops', attach, model: undefined, btf: btf(), note: () => {} });
    const byName = await at('tcp_congestion_ops:undo_cwnd');
    const byIndex = await at('tcp_congestion_ops:#8');
    expect(byIndex.attr.attach).toEqual(byName.attr.attach);
    expect(byIndex.model?.name).toBe('tcp_cc');
    // past the members, or a data member (name, #11): passed on for check_struct_ops_btf_id
    expect(await at('tcp_congestion_ops:#40')).toMatchObject({
      attr: { attach: { struct: 'tcp_congestion_ops', member: null, memberIndex: 40 } },
    });
    expect((await at('tcp_congestion_ops:#11')).model).toBeUndefined();
  });

  it('an attach naming no such struct or member is bad input listing the members', async () => {
    const bad = (attach: string, model?: string) =>
      expect(progAttach({ progType: 'struct_ops', attach, model, btf: btf() })).rejects;
    await bad('Qdisc_ops:nosuch', 'qdisc').toThrow(CliError);
    await bad('Qdisc_ops:nosuch', 'qdisc').toThrow(/no op member 'nosuch' \(ops: enqueue, dequeue, init/);
    await bad('Qdisc_ops:peek', 'qdisc').toThrow(/it is data/);
    await bad('demo_filter_ops:classify', 'qdisc').toThrow(
      /describes struct_ops Qdisc_ops, not demo_filter_ops/,
    );
    await bad('No_such_ops:x').toThrow(/no struct No_such_ops in the reference BTF.*--model/);
    // A BTF struct no model describes: its function-pointer members are the choices.
    const fops = btfOpsMembers(btf(), 'file_operations')!;
    expect(fops).toContain('llseek');
    await bad('file_operations:nosuch').toThrow(new RegExp(`ops: ${fops.slice(0, 3).join(', ')}`));
    await bad('Qdisc_ops').toThrow(/STRUCT:MEMBER/);
    await expect(
      progAttach({ progType: 'xdp', attach: undefined, model: 'qdisc', btf: btf() }),
    ).rejects.toThrow(/--model is for struct_ops/);
    await expect(
      progAttach({ progType: 'lsm', attach: undefined, model: undefined, btf: btf() }),
    ).rejects.toThrow(/--prog-type must be one of .*syscall, got 'lsm'/);
  });
});
