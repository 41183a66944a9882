#!/usr/bin/env node
// Measures text extents of the functions the design comparison needs from the running
// kernel's /proc/kallsyms (run as root on the reference kernel; tests never run this) and
// writes core/kernel/text-linux-6.18.ts. Usage: sudo node scripts/measure-kernel-text.mjs
//
// extent(f) = address of the next kallsyms symbol − address of f. With CONFIG_CALL_PADDING
// the next symbol is normally the next function's __pfx_ (16 bytes of call padding), so the
// extent is f's code plus its alignment padding, without any __pfx_. f's own __pfx_ sits
// right in front of f and is recorded separately (pfx) so a cost can count it explicitly.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'core/kernel/text-linux-6.18.ts');

// BPF_CALL_N wrappers whose body is one call of another (non-inlinable: other file or
// through map->ops) function with the arguments passed on, optionally followed by `return 0`.
// Classified by reading their 6.18 sources; the wrapper estimate is the median per arity.
const FORWARDERS = {
  0: [
    'bpf_ktime_get_ns', // ktime_get_mono_fast_ns()
    'bpf_ktime_get_boot_ns', // ktime_get_boot_fast_ns()
    'bpf_ktime_get_tai_ns', // ktime_get_tai_fast_ns()
  ],
  1: [
    'bpf_sys_close', // close_fd(fd)
    'bpf_sock_from_file', // sock_from_file(file)
    'bpf_get_socket_cookie_sock', // __sock_gen_cookie(ctx)
    'bpf_get_socket_cookie_sock_addr', // __sock_gen_cookie(ctx->sk)
    'bpf_get_socket_cookie_sock_ops', // __sock_gen_cookie(ctx->sk)
  ],
  2: [
    'bpf_tcp_send_ack', // __tcp_send_ack(sk, rcv_nxt); return 0
    'bpf_map_pop_elem', // map->ops->map_pop_elem(map, value)
    'bpf_map_peek_elem', // map->ops->map_peek_elem(map, value)
  ],
  3: [
    'bpf_map_push_elem', // map->ops->map_push_elem(map, value, flags)
    'bpf_xdp_redirect_map', // map->ops->map_redirect(map, key, flags)
    'bpf_strncmp', // strncmp(s1, s2, s1_sz)
    'bpf_ima_file_hash', // ima_file_hash(file, dst, size)
  ],
  4: [
    'bpf_for_each_map_elem', // map->ops->map_for_each_callback(map, fn, ctx, flags)
  ],
};

// Verifier functions that exist only for kfunc calls in generated pro/epilogue code: the
// set 68d23a660c4f ("bpf: Remove kfunc support in prologue and epilogue") deletes.
const KFUNC_ROUTE = ['add_kfunc_in_insns'];
// Shared with every kfunc call (context only, not charged to the route).
const CONTEXT = ['add_kfunc_call', 'fetch_kfunc_meta', '__find_kfunc_desc_btf', 'convert_ctx_accesses'];

const helperSymbols = [
  ...readFileSync(join(root, 'core/kernel/helpers.ts'), 'utf8').matchAll(/symbol: '([a-z0-9_]+)'/g),
].map((m) => m[1]);
const overrides = [
  ...readFileSync(join(root, 'core/kernel/helpers.ts'), 'utf8').matchAll(/: '(bpf_xdp_[a-z_]+)'/g),
].map((m) => m[1]);

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
  ...Object.values(FORWARDERS).flat(),
  ...KFUNC_ROUTE,
  ...CONTEXT,
  ...helperSymbols,
  ...overrides,
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
// Not in kallsyms (not built into this kernel, or inlined):
${wrap(missing.join(' ') || 'none')}

export interface KernelTextData {
  release: string;
  measured: string;
  symbols: Readonly<Record<string, readonly number[]>>;
  /** BPF_CALL_N wrappers whose body only forwards to one function, by arity (sources read by hand). */
  forwarders: Readonly<Record<number, readonly string[]>>;
  /** Verifier functions only the kfunc-in-pro/epilogue route needs. */
  kfuncRoute: readonly string[];
}

export const KERNEL_TEXT_LINUX_6_18: KernelTextData = {
  release: '${release}',
  measured: '${date}',
  symbols: {
${lines.join('\n')}
  },
  forwarders: {
${Object.entries(FORWARDERS)
  .map(([k, v]) => `    ${k}: [${v.map((n) => `'${n}'`).join(', ')}],`)
  .join('\n')}
  },
  kfuncRoute: [${KFUNC_ROUTE.map((n) => `'${n}'`).join(', ')}],
};
`;
writeFileSync(out, ts);
console.log(
  `${out}: ${Object.keys(extents).length} symbols, missing ${missing.length}: ${missing.join(' ')}`,
);
