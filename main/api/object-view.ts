// A BPF ELF object opened in the app (File ▸ Open, drop, file input): each entry
// program as BPF_PROG_LOAD gets it, with its line_info as C source lines.
import type { Btf } from '../../core/btf/btf';
import type { BtfRegistry } from '../../core/btf/registry';
import { insnStarts } from '../../core/isa/cfg';
import { formatInsn } from '../../core/isa/disasm';
import { bytesToHex, encodeInsns } from '../../core/isa/encoding';
import { bpfProgLoad } from '../../core/kernel/prog-load';
import { kernelVersionOf } from '../../core/object/externs';
import { disasmLoadedProgram, loadBpfObject } from '../../core/object/index';
import { logWithLineInfo } from '../../core/object/log-linfo';
import { progBtfOf } from '../../core/object/prog-btf';
import type { BpfObject, LineInfo } from '../../core/object/types';
import type { MapDef } from '../../core/verifier/index';
import { PROG_TYPE_NAMES } from '../../core/verifier/progtypes/names';
import type { X86Syntax } from '../host/x86-listing';
import { x86ViewLines } from './jit-view';
import { ApiError } from './schema';
import type {
  DisasmResult,
  JitView,
  ObjectProgramView,
  ObjectView,
  ProgType,
  SourceLine,
  VerifyParams,
  VerifyView,
} from './types';
import { verifyView } from './verify-view';

/** The reference kernel's release (LINUX_KERNEL_VERSION for __kconfig externs), as the CLI loads objects. */
const REFERENCE_RELEASE = '6.18.44';

/**
 * `bytes` opened against `target`; `disasm` lays out a program's hex as the
 * Program view's listing and graph. Throws ObjectError for a bad object.
 */
/** line_info as source lines; line 0 is code the compiler made up, with no source line. */
export const sourceLines = (info: readonly LineInfo[]): SourceLine[] =>
  info
    .filter((l) => l.lineNum > 0)
    .map((l) => ({ idx: l.insnOff, file: l.fileName, line: l.lineNum, col: l.lineCol, text: l.line }));

const openObject = (bytes: Uint8Array, target: Btf): BpfObject =>
  loadBpfObject(bytes, { target, kconfig: { kernelVersion: kernelVersionOf(REFERENCE_RELEASE) } });

export function objectView(
  name: string,
  bytes: Uint8Array,
  target: Btf,
  disasm: (hex: string) => DisasmResult,
): ObjectView {
  const obj = openObject(bytes, target);
  const programs: ObjectProgramView[] = obj.loaded.map((p) => {
    // Always little-endian on the wire: the listing decodes it as such.
    const hex = bytesToHex(encodeInsns(p.insns, 'le'));
    const view = disasm(hex);
    // Maps and kfuncs by name, as `kmodel object insns --format text` prints them.
    const named = new Map<number, string>();
    for (const line of disasmLoadedProgram(p, target)) {
      const m = /^(\d+): (.*)$/.exec(line);
      if (m) named.set(Number(m[1]), m[2]!);
    }
    for (const l of view.lines) l.text = named.get(l.idx) ?? l.text;
    const source = sourceLines(p.lineInfo);
    return {
      name: p.name,
      section: p.section,
      progType: p.progType,
      attach: p.attach ? { struct: p.attach.struct, member: p.attach.member } : null,
      hex,
      listing: view,
      source,
    };
  });
  return { name, license: obj.license, littleEndian: obj.littleEndian, programs };
}

const VERIFY_PROG_TYPES: readonly string[] = PROG_TYPE_NAMES;
const VERIFY_MAP_TYPES: readonly string[] = ['array', 'hash', 'prog_array'];

/** An object's program as the verifier takes it; ApiError when kmodel does not model its type or maps. */
function verifiable(method: string, name: string, bytes: Uint8Array, btf: BtfRegistry) {
  const obj = openObject(bytes, btf.vmlinux.btf);
  const prog = obj.loaded.find((x) => x.name === name);
  const bad = (why: string) => new ApiError('bad-request', `${method}: object program '${name}': ${why}`);
  if (!prog) throw bad(`not in the object (programs: ${obj.loaded.map((x) => x.name).join(', ')})`);
  if (!prog.progType || !VERIFY_PROG_TYPES.includes(prog.progType))
    throw bad(`program type ${prog.progType ?? 'unknown'} is not modelled here`);
  const maps: MapDef[] = prog.maps.map((m) => {
    if (!VERIFY_MAP_TYPES.includes(m.type)) throw bad(`map '${m.name}' of type ${m.type} is not modelled`);
    return {
      type: m.type as MapDef['type'],
      keySize: m.keySize,
      valueSize: m.valueSize,
      maxEntries: m.maxEntries,
    };
  });
  return { prog, progType: prog.progType as ProgType, maps, progBtf: progBtfOf(obj, prog) };
}

/** The Verifier view of one program of an object: as loaded, its C lines in the log. */
export function objectVerifyView(
  name: string,
  bytes: Uint8Array,
  p: VerifyParams,
  btf: BtfRegistry,
): VerifyView {
  const { prog, progType, maps, progBtf } = verifiable('verify', name, bytes, btf);
  const v = verifyView(
    {
      hex: bytesToHex(encodeInsns(prog.insns, 'le')),
      progType,
      attach: prog.attach ? { struct: prog.attach.struct, member: prog.attach.member } : null,
      ...(p.logLevel ? { logLevel: p.logLevel } : {}),
    },
    btf,
    undefined,
    maps,
    progBtf,
  );
  return { ...v, model: { ...v.model, log: logWithLineInfo(v.model.log, prog.lineInfo) } };
}

/** The JIT view of one program of an object: kmodel verifies it (fixups) and JITs the result. */
export function objectJitView(
  name: string,
  bytes: Uint8Array,
  btf: BtfRegistry,
  syntax?: X86Syntax,
): JitView {
  const { prog, progType, maps, progBtf } = verifiable('jit', name, bytes, btf);
  const source = sourceLines(prog.lineInfo);
  // Maps and kfuncs by name, as the Program view lists them.
  const bpf = disasmLoadedProgram(prog, btf.vmlinux.btf).flatMap((line) => {
    const m = /^(\d+): (.*)$/.exec(line);
    return m ? [{ idx: Number(m[1]), text: m[2]! }] : [];
  });
  const load = bpfProgLoad(
    {
      insns: prog.insns,
      progType,
      attach: prog.attach ? { struct: prog.attach.struct, member: prog.attach.member } : null,
      ...(maps.length ? { maps } : {}),
      ...(progBtf ? { progBtf } : {}),
    },
    { btf },
  );
  const vr = load.verifier;
  const base = { id: `object/${name}`, bpf, source };
  if (vr.verdict !== 'accept' || !vr.xlated)
    return {
      ...base,
      xlated: [],
      x86: [],
      jitted: false,
      reason: `kmodel's verifier rejected it: ${vr.error}`,
    };
  const calls = new Map(vr.xlatedCalls.map((c) => [c.insn, c.symbol]));
  const xlated = insnStarts(vr.xlated).map((i) => ({
    idx: i,
    text: formatInsn(vr.xlated!, i, { callName: (_x, k) => calls.get(k) ?? undefined }),
  }));
  if (!load.jit)
    return { ...base, xlated, x86: [], jitted: false, reason: load.jitError ?? 'the JIT did not run' };
  const r = load.jit.result;
  return {
    ...base,
    xlated,
    x86: x86ViewLines(r, vr.xlated.length, syntax),
    jitted: true,
    size: r.size,
    passes: r.passes,
  };
}
