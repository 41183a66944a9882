#!/usr/bin/env node
// Measures text extents of the functions the design comparison needs from the running
// kernel's /proc/kallsyms (run as root on the reference kernel; tests never run this) and
// writes core/kernel/text-linux-6.18.ts. Usage (root): npx tsx scripts/measure-kernel-text.mjs
//
// There is no /proc/kcore here, so the code bytes of the candidate forwarders are read with a
// BPF_PROG_TYPE_SYSCALL program calling bpf_probe_read_kernel (clang + bpftool + python3's
// ctypes for BPF_PROG_TEST_RUN) and disassembled with iced-x86; only sizes and the shape of
// each forwarder are saved.
//
// extent(f) = address of the next kallsyms symbol − address of f. With CONFIG_CALL_PADDING
// the next symbol is normally the next function's __pfx_ (16 bytes of call padding), so the
// extent is f's code plus its alignment padding, without any __pfx_. f's own __pfx_ sits
// right in front of f and is recorded separately (pfx) so a cost can count it explicitly.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allHelperProtos, XDP_SYMBOL_OVERRIDES } from '../core/kernel/helpers.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'core/kernel/text-linux-6.18.ts');

// BPF_CALL_N wrappers outside the helper table that look like forwarders in their sources
// (name: arity). Together with the helper table they are the candidates; the disassembly of
// the running kernel's text decides which only forward to one function (see isForwarder).
const CANDIDATES = {
  bpf_ktime_get_tai_ns: 0,
  bpf_sys_close: 1,
  bpf_sock_from_file: 1,
  bpf_get_socket_cookie_sock: 1,
  bpf_get_socket_cookie_sock_addr: 1,
  bpf_get_socket_cookie_sock_ops: 1,
  bpf_strncmp: 3,
  bpf_ima_file_hash: 3,
  bpf_map_lookup_percpu_elem: 3,
  bpf_for_each_map_elem: 4,
};

// Verifier functions that exist only for kfunc calls in generated pro/epilogue code: the
// set 68d23a660c4f ("bpf: Remove kfunc support in prologue and epilogue") deletes.
const KFUNC_ROUTE = ['add_kfunc_in_insns'];
// Shared with every kfunc call (context only, not charged to the route).
const CONTEXT = ['add_kfunc_call', 'fetch_kfunc_meta', '__find_kfunc_desc_btf', 'convert_ctx_accesses'];

// Helper table: .func symbol → arity (xdp overrides share the helper's arity).
const arity = new Map(Object.entries(CANDIDATES));
for (const p of allHelperProtos()) {
  if (!p.symbol) continue;
  arity.set(p.symbol, p.args.length);
  const o = XDP_SYMBOL_OVERRIDES[p.name.replace(/^bpf_/, '')];
  if (o) arity.set(o, p.args.length);
}

// Kfuncs (decl: … name(…)) and wrappers of the shipped models.
const modelNames = [];
for (const f of readdirSync(join(root, 'models')).filter((n) => n.endsWith('.yaml'))) {
  const src = readFileSync(join(root, 'models', f), 'utf8');
  for (const m of src.matchAll(/decl: "?[^(\n]*?\b([A-Za-z_][A-Za-z0-9_]*)\s*\(/g)) modelNames.push(m[1]);
  for (const m of src.matchAll(/\{ name: ([A-Za-z0-9_]+), wraps: ([A-Za-z0-9_]+)/g))
    modelNames.push(m[1], m[2]);
}

// The decl regex also catches return types of multi-line decls; drop C type names.
const C_TYPES = /^(int|void|bool|char|long|u8|u16|u32|u64|s8|s16|s32|s64)$/;
const wanted = new Set([
  ...arity.keys(),
  ...KFUNC_ROUTE,
  ...CONTEXT,
  ...modelNames.filter((n) => !C_TYPES.test(n)),
]);

const syms = readFileSync('/proc/kallsyms', 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => {
    const [addr, type, name, mod] = l.split(/\s+/);
    return { addr: BigInt(`0x${addr}`), type, name, mod };
  })
  .filter((s) => !s.mod && /[tTwW]/.test(s.type));
if (syms.every((s) => s.addr === 0n)) throw new Error('kallsyms addresses are hidden: run as root');
syms.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
const byName = new Map();
syms.forEach((s, i) => {
  const list = byName.get(s.name) ?? [];
  list.push(i);
  byName.set(s.name, list);
});

const extents = {};
const missing = [];
for (const name of [...wanted].sort()) {
  const idx = byName.get(name);
  if (!idx) {
    missing.push(name);
    continue;
  }
  const i = idx[0];
  let j = i + 1;
  while (j < syms.length && syms[j].addr === syms[i].addr) j++;
  const extent = Number(syms[j].addr - syms[i].addr);
  const pfx = byName.get(`__pfx_${name}`)?.some((k) => syms[i].addr - syms[k].addr === 16n) ? 16 : 0;
  extents[name] = idx.length > 1 ? [extent, pfx, idx.length] : [extent, pfx];
}

// --- code bytes of the candidates, through bpf_probe_read_kernel ---
const BPF_READER_C = `typedef unsigned long long u64; typedef unsigned int u32;
struct args { u64 addr; u32 len; u32 pad; };
static long (*probe_read_kernel)(void *dst, u32 size, const void *src) = (void *)113;
unsigned char buf[4096];
long ret;
__attribute__((section("syscall"), used)) int rd(struct args *a)
{
  u32 n = a->len;
  if (n == 0 || n > 4096) return 1;
  ret = probe_read_kernel(buf, n, (const void *)a->addr);
  return 0;
}
char _license[] __attribute__((section("license"), used)) = "GPL";
`;
// Reads "addr len" lines on stdin, prints the bytes as hex, one line each.
const READER_PY = `import ctypes, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    r = libc.syscall(321, cmd, buf, 128)
    if r < 0: raise OSError(ctypes.get_errno(), 'bpf cmd %d' % cmd)
    return r
def obj_get(path):
    p = ctypes.create_string_buffer(path.encode())
    return bpf(7, struct.pack('<QII', ctypes.addressof(p), 0, 0))
prog, m = obj_get(sys.argv[1]), obj_get(sys.argv[2])
for line in sys.stdin:
    addr, n = (int(x, 0) for x in line.split())
    ctx = ctypes.create_string_buffer(struct.pack('<QII', addr, n, 0), 16)
    bpf(10, struct.pack('<IIIIQQIIIIQQIII', prog, 0, 0, 0, 0, 0, 0, 0, 16, 0, ctypes.addressof(ctx), 0, 0, 0, 0))
    key, val = ctypes.create_string_buffer(4), ctypes.create_string_buffer(4104)
    bpf(1, struct.pack('<IIQQQ', m, 0, ctypes.addressof(key), ctypes.addressof(val), 0))
    if struct.unpack('<q', val.raw[4096:4104])[0]: raise OSError('probe_read_kernel failed at %x' % addr)
    print(val.raw[:n].hex())
`;

/** The code bytes of each [address, length] range (kernel text). */
function readKernelText(ranges) {
  const dir = mkdtempSync(join(tmpdir(), 'kmodel-kt-'));
  const pin = `/sys/fs/bpf/kmodel_kt_${process.pid}`;
  try {
    writeFileSync(join(dir, 'kt.c'), BPF_READER_C);
    writeFileSync(join(dir, 'reader.py'), READER_PY);
    execFileSync('clang', ['-O2', '-target', 'bpf', '-c', join(dir, 'kt.c'), '-o', join(dir, 'kt.o')]);
    execFileSync('bpftool', [
      'prog',
      'load',
      join(dir, 'kt.o'),
      pin,
      'type',
      'syscall',
      'pinmaps',
      `${pin}_maps`,
    ]);
    const bss = readdirSync(`${pin}_maps`).find((n) => n.endsWith('bss'));
    const input = ranges.map(([a, n]) => `0x${a.toString(16)} ${n}`).join('\n');
    const hex = execFileSync('python3', [join(dir, 'reader.py'), pin, `${pin}_maps/${bss}`], { input });
    return hex
      .toString()
      .trim()
      .split('\n')
      .map((h) => Buffer.from(h, 'hex'));
  } finally {
    rmSync(pin, { force: true });
    rmSync(`${pin}_maps`, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

const iced = createRequire(import.meta.url)('iced-x86');
const symAt = new Map(syms.map((s) => [s.addr, s.name]));
/** Instructions of a function (padding nops and int3 dropped), branch targets by symbol. */
function shapeOf(addr, bytes) {
  const d = new iced.Decoder(64, bytes, 0);
  d.ip = addr;
  const f = new iced.Formatter(iced.FormatterSyntax.Intel);
  f.spaceAfterOperandSeparator = true;
  const insns = [];
  for (const ins of d.decodeAll()) {
    const m = f.formatMnemonic(ins);
    let text = f.format(ins);
    const branch = ins.op0Kind === iced.OpKind.NearBranch64 ? ins.nearBranch64 : undefined;
    const target = branch !== undefined ? symAt.get(branch) : undefined;
    if (target) text = `${m} ${target}`;
    // Writes to memory or a stack frame mean the wrapper does work of its own.
    const store = ins.op0Kind === iced.OpKind.Memory && !['nop', 'cmp', 'test'].includes(m);
    const frame = m === 'push' || m === 'pop' || (m === 'sub' && text.startsWith('sub rsp'));
    insns.push({
      m,
      text,
      target,
      inside: branch !== undefined && !target,
      flow: ins.flowControl,
      own: store || frame,
    });
    ins.free();
  }
  d.free();
  // Code ends at the last ret / jmp out; what follows is alignment padding.
  const end = insns.findLastIndex((i) => i.m === 'ret' || (i.m === 'jmp' && i.target));
  return insns.slice(0, end + 1).filter((i) => !(i.m === 'nop' && insns.indexOf(i) === 0) && i.m !== 'int3');
}
/**
 * One call or jmp out of the function (direct, or an indirect-branch thunk), no branches, stores
 * or stack frame of its own: only argument moves/loads and the return-path register clearing.
 */
function isForwarder(shape) {
  const out = shape.filter((i) => i.target && (i.m === 'call' || i.m === 'jmp'));
  const FC = iced.FlowControl;
  const other = shape.filter(
    (i) => i.own || i.inside || ![FC.Next, FC.Return, FC.Call, FC.UnconditionalBranch].includes(i.flow),
  );
  return out.length === 1 && other.length === 0;
}

const candidates = [...arity.keys()].filter((n) => extents[n]).sort();
const bytes = readKernelText(candidates.map((n) => [syms[byName.get(n)[0]].addr, extents[n][0]]));
const forwarders = {};
const shapes = {};
const rejected = [];
candidates.forEach((n, k) => {
  const shape = shapeOf(syms[byName.get(n)[0]].addr, bytes[k]);
  if (isForwarder(shape)) {
    const a = arity.get(n);
    forwarders[a] = [...(forwarders[a] ?? []), n];
    shapes[n] = shape.map((i) => i.text).join('; ');
  } else rejected.push(n);
});

/** Comment lines of at most 100 columns. */
function wrap(text) {
  const out = [];
  let line = '//';
  for (const w of text.split(' ')) {
    if (line.length + w.length + 1 > 100) {
      out.push(line);
      line = '//';
    }
    line += ` ${w}`;
  }
  out.push(line);
  return out.join('\n');
}

const release = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
const date = new Date().toISOString().slice(0, 10);
const lines = Object.entries(extents).map(([n, v]) => `    ${n}: [${v.join(', ')}],`);
const ts = `// GENERATED by scripts/measure-kernel-text.mjs from /proc/kallsyms of the reference kernel
// (uname -r: ${release}, x86-64, measured ${date}). Do not edit by hand; re-run the script.
// Each entry: [extent, pfx(, copies)] in bytes. extent = next kallsyms symbol − the symbol's
// address: the function's code plus its alignment padding, excluding every __pfx_ symbol;
// pfx = 16 when a __pfx_<name> (CONFIG_CALL_PADDING) sits right in front of it; copies when
// several static functions share the name (the lowest address is measured).
// Candidate BPF_CALL_N wrappers that do more than forward (disassembled):
${wrap(rejected.join(' '))}
// Not in kallsyms (not built into this kernel, or inlined):
${wrap(missing.join(' ') || 'none')}

import type { KernelTextData } from './text-data';

export type { KernelTextData };

export const KERNEL_TEXT_LINUX_6_18: KernelTextData = {
  release: '${release}',
  measured: '${date}',
  symbols: {
${lines.join('\n')}
  },
  forwarders: {
${Object.entries(forwarders)
  .map(([k, v]) => `    ${k}: [${v.map((n) => `'${n}'`).join(', ')}],`)
  .join('\n')}
  },
  shapes: {
${Object.entries(shapes)
  .map(([n, t]) => `    ${n}: '${t}',`)
  .join('\n')}
  },
  kfuncRoute: [${KFUNC_ROUTE.map((n) => `'${n}'`).join(', ')}],
};
`;
writeFileSync(out, ts);
console.log(
  `${out}: ${Object.keys(extents).length} symbols, missing ${missing.length}: ${missing.join(' ')}`,
);
