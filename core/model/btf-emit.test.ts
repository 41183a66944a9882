import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../btf/btf';
import { membersOf, sizeOf } from '../btf/layout';
import { ModelBtfEmitter } from './btf-emit';
import { parseDecls } from './cdecl';

const root = resolve(__dirname, '../..');
const base = parseBtf(gunzipSync(readFileSync(join(root, 'assets/vmlinux.btf.gz'))));

describe('ModelBtfEmitter', () => {
  it('config_members: a reference struct with a member its config lacks, later members moved by 64s', () => {
    const decls = parseDecls('struct ent { u64 slice; u64 vtime; bool disallow; };');
    const e = new ModelBtfEmitter(base, decls, [
      { struct: 'task_struct', after: 'dl_server', name: 'scx', type: { kind: 'struct', name: 'ent' } },
    ]);
    const task = e.typeId({ kind: 'ptr', to: { kind: 'struct', name: 'task_struct' } });
    const btf = parseBtf(e.builder.build(), { base });
    const id = btf.type(task).kind === 'PTR' ? (btf.type(task) as { type: number }).type : 0;
    expect(id).toBeGreaterThanOrEqual(base.typeCount);
    const off = (name: string) => membersOf(btf, id).find((m) => m.name === name)!.bitOffset / 8;
    const baseId = base.findByName('task_struct', 'STRUCT')!;
    const baseOff = (name: string) => membersOf(base, baseId).find((m) => m.name === name)!.bitOffset / 8;
    expect(off('scx')).toBe(baseOff('dl_server') + 8);
    expect(off('sched_class') - baseOff('sched_class')).toBe(64);
    expect(off('pid') - baseOff('pid')).toBe(64);
    expect(sizeOf(btf, id)).toBe(sizeOf(base, baseId) + 64);
    expect(off('prio')).toBe(baseOff('prio'));
  });

  it('lays out declared structs and round-trips through the BTF parser as split BTF', () => {
    const decls = parseDecls(`
      struct st_ops_args { u64 a; };
      struct bpf_testmod_st_ops {
        int (*test_prologue)(struct st_ops_args *args);
        int (*test_epilogue)(struct st_ops_args *args);
        int (*test_pro_epilogue)(struct st_ops_args *args);
        struct module *owner;
      };
      struct hid_device;
      struct hid_bpf_ctx { struct hid_device *hid; u32 allocated_size; union { s32 retval; s32 size; }; };
      struct kmodel_opaque;
      struct holder { struct kmodel_opaque *p; };
    `);
    const e = new ModelBtfEmitter(base, decls);
    const ops = e.typeId({ kind: 'struct', name: 'bpf_testmod_st_ops' });
    const ctx = e.typeId({ kind: 'struct', name: 'hid_bpf_ctx' });
    const btf = parseBtf(e.builder.build(), { base, name: 'bpf_testmod' });
    expect(btf.startId).toBe(base.typeCount);
    expect(sizeOf(btf, ops)).toBe(32);
    expect(membersOf(btf, ops).map((m) => [m.name, m.bitOffset / 8])).toEqual([
      ['test_prologue', 0],
      ['test_epilogue', 8],
      ['test_pro_epilogue', 16],
      ['owner', 24],
    ]);
    // struct module comes from vmlinux, not a new FWD.
    const owner = btf.type(membersOf(btf, ops)[3]!.type);
    expect(owner.kind === 'PTR' && owner.type).toBe(base.findByName('module', 'STRUCT'));
    // The anonymous union is nameless in BTF and sits after the u32.
    expect(sizeOf(btf, ctx)).toBe(16);
    const u = membersOf(btf, ctx)[2]!;
    expect([u.name, u.bitOffset, btf.type(u.type).kind, btf.type(u.type).name]).toEqual([
      '',
      96,
      'UNION',
      '',
    ]);
    // struct hid_device is in the reference BTF (HID core is built in); an unknown struct is a FWD.
    const hid = btf.type(membersOf(btf, ctx)[0]!.type);
    expect(hid.kind === 'PTR' && hid.type).toBe(base.findByName('hid_device', 'STRUCT'));
    const holder = e.typeId({ kind: 'struct', name: 'holder' });
    const btf2 = parseBtf(e.builder.build(), { base });
    const p = btf2.type(membersOf(btf2, holder)[0]!.type);
    expect(p.kind === 'PTR' && btf2.type(p.type)).toMatchObject({ kind: 'FWD', name: 'kmodel_opaque' });
  });

  it('adds a kfunc as FUNC + FUNC_PROTO, reusing what vmlinux already has', () => {
    const e = new ModelBtfEmitter(base, []);
    const before = e.bytes();
    const id = e.addFunc('my_kfunc', {
      kind: 'func',
      ret: { kind: 'int', name: 'int', size: 4, signed: true },
      params: [{ name: 'sk', type: { kind: 'ptr', to: { kind: 'struct', name: 'sock' } } }],
      variadic: false,
    });
    const btf = parseBtf(e.builder.build(), { base });
    const f = btf.type(id);
    expect(f).toMatchObject({ kind: 'FUNC', name: 'my_kfunc' });
    // `struct sock *` and the name `sk` exist in vmlinux; the proto is new unless dedup finds one.
    const proto = f.kind === 'FUNC' ? btf.type(f.type) : undefined;
    expect(proto?.kind).toBe('FUNC_PROTO');
    const protoIsNew = f.kind === 'FUNC' && f.type >= base.typeCount;
    expect(e.bytes() - before).toBe(12 + (protoIsNew ? 20 : 0) + 'my_kfunc'.length + 1);
  });
});
