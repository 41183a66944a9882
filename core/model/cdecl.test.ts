import { describe, expect, it } from 'vitest';
import { CDeclError, funcOf, parseDecl, parseDecls, resolveType, typeToString } from './cdecl';

describe('parseDecl', () => {
  it('reads a struct_ops member as a pointer to a function', () => {
    const d = parseDecl('int (*init)(struct Qdisc *sch, struct nlattr *arg, struct netlink_ext_ack *extack)');
    expect(d.kind).toBe('object');
    if (d.kind !== 'object') return;
    expect(d.name).toBe('init');
    expect(d.type.kind).toBe('ptr');
    const fn = funcOf(d.type)!;
    expect(fn.params.map((p) => p.name)).toEqual(['sch', 'arg', 'extack']);
    expect(typeToString(fn.params[0]!.type)).toBe('struct Qdisc *');
    expect(typeToString(d.type, 'init')).toBe(
      'int (*init)(struct Qdisc *sch, struct nlattr *arg, struct netlink_ext_ack *extack)',
    );
  });

  it('reads a function returning a pointer and a double pointer argument', () => {
    const d = parseDecl('struct sk_buff *(*dequeue)(struct Qdisc *sch)');
    const fn = funcOf(d.kind === 'object' ? d.type : { kind: 'void' })!;
    expect(typeToString(fn.ret)).toBe('struct sk_buff *');
    const e = parseDecl('int (*enqueue)(struct sk_buff *skb, struct Qdisc *sch, struct sk_buff **to_free)');
    const f2 = funcOf(e.kind === 'object' ? e.type : { kind: 'void' })!;
    expect(typeToString(f2.params[2]!.type)).toBe('struct sk_buff **');
  });

  it('reads kfunc prototypes with const, typedefs and unsigned words', () => {
    const d = parseDecl(
      '__u8 *hid_bpf_get_data(struct hid_bpf_ctx *ctx, unsigned int offset, const size_t rdwr_buf_size)',
    );
    expect(d.kind === 'object' && d.type.kind).toBe('func');
    const fn = funcOf(d.kind === 'object' ? d.type : { kind: 'void' })!;
    expect(resolveType(fn.params[1]!.type)).toMatchObject({ kind: 'int', name: 'unsigned int', size: 4 });
    expect(fn.params[2]!.type.kind).toBe('const');
    expect(resolveType(fn.params[2]!.type)).toMatchObject({ name: 'long unsigned int', size: 8 });
    expect(typeToString(fn.ret)).toBe('__u8 *');
  });

  it('reports position and reason for bad input', () => {
    expect(() => parseDecl('int (*init)(struct Qdisc *sch')).toThrow(CDeclError);
    try {
      parseDecl('u32 foo(strct sock *sk)');
    } catch (e) {
      expect(e).toBeInstanceOf(CDeclError);
      expect((e as CDeclError).pos).toBe(8);
      expect((e as CDeclError).reason).toBe("unknown type name 'strct'");
    }
  });
});

describe('parseDecls', () => {
  it('reads struct, union, enum, arrays, bitfields and typedefs', () => {
    const decls = parseDecls(`
      struct st_ops_args { u64 a; };
      enum hid_report_type { HID_INPUT_REPORT = 0, HID_OUTPUT_REPORT, HID_FEATURE_REPORT, HID_REPORT_TYPES };
      typedef unsigned int my_t;
      struct s { char name[128]; volatile my_t x : 3; union { int i; long l; } u; struct st_ops_args *p; };
    `);
    expect(decls.map((d) => `${d.kind} ${d.name}`)).toEqual([
      'struct st_ops_args',
      'enum hid_report_type',
      'typedef my_t',
      'union __anon_0',
      'struct s',
    ]);
    const en = decls[1]!;
    expect(en.kind === 'enum' && en.values.map((v) => v.value)).toEqual([0, 1, 2, 3]);
    const s = decls[4]!;
    if (s.kind !== 'struct' || !s.fields) throw new Error('no struct');
    expect(s.fields.map((f) => typeToString(f.type, f.name))).toEqual([
      'char name[128]',
      'volatile my_t x',
      'union __anon_0 u',
      'struct st_ops_args *p',
    ]);
    expect(s.fields[1]!.bits).toBe(3);
  });

  it('completes a forward declaration and rejects a redefinition', () => {
    const decls = parseDecls('struct a; struct b { struct a *x; }; struct a { int y; };');
    const a = decls.find((d) => d.name === 'a')!;
    expect(a.kind === 'struct' && a.fields?.length).toBe(1);
    expect(() => parseDecls('struct a { int y; }; struct a { int z; };')).toThrow('redefinition of struct a');
  });
});

describe('anonymous members', () => {
  it('keeps an anonymous union as a nameless field', () => {
    const decls = parseDecls('struct hid_bpf_ctx { u32 allocated_size; union { s32 retval; s32 size; }; };');
    const s = decls.find((d) => d.kind === 'struct')!;
    expect(s.kind === 'struct' && s.fields?.map((f) => [f.name, f.type.kind])).toEqual([
      ['allocated_size', 'typedef'],
      ['', 'union'],
    ]);
    expect(() => parseDecls('struct x { int; };')).toThrow('member needs a name');
  });
});
