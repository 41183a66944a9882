// A BPF ELF object opened in the app (File ▸ Open, drop, file input): each entry
// program as BPF_PROG_LOAD gets it, with its line_info as C source lines.
import type { Btf } from '../../core/btf/btf';
import { bytesToHex, encodeInsns } from '../../core/isa/encoding';
import { kernelVersionOf } from '../../core/object/externs';
import { disasmLoadedProgram, loadBpfObject } from '../../core/object/index';
import type { DisasmResult, ObjectProgramView, ObjectView, SourceLine } from './types';

/** The reference kernel's release (LINUX_KERNEL_VERSION for __kconfig externs), as the CLI loads objects. */
const REFERENCE_RELEASE = '6.18.44';

/**
 * `bytes` opened against `target`; `disasm` lays out a program's hex as the
 * Program view's listing and graph. Throws ObjectError for a bad object.
 */
export function objectView(
  name: string,
  bytes: Uint8Array,
  target: Btf,
  disasm: (hex: string) => DisasmResult,
): ObjectView {
  const obj = loadBpfObject(bytes, {
    target,
    kconfig: { kernelVersion: kernelVersionOf(REFERENCE_RELEASE) },
  });
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
    // Line 0: code the compiler made up, with no source line.
    const source: SourceLine[] = p.lineInfo
      .filter((l) => l.lineNum > 0)
      .map((l) => ({
        idx: l.insnOff,
        file: l.fileName,
        line: l.lineNum,
        col: l.lineCol,
        text: l.line,
      }));
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
