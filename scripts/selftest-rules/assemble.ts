// Assembles the programs of programs.txt (kmodel's assembler) for gen.py: reads a JSON list of
// assembly texts on stdin, prints a JSON list of hex strings (or {error}) on stdout. A line
// `.raw CC RR OOOO IIIIIIII` is one struct bpf_insn given as its bytes (code, regs, off, imm
// little-endian) for encodings the assembler refuses; a program using it has no labels.
// `call NAME` of a vmlinux function is a kfunc call (src 2) with the id of kmodel's reference
// BTF (the corpus kernel); `kfuncs` maps those ids to names so gen.py can load the program with
// the running kernel's ids, whose BTF numbers the same functions differently.
import { readFileSync } from 'node:fs';
import { assemble } from '../../core/isa/asm';
import { insnsToHex } from '../../core/isa/encoding';
import { loadReferenceVmlinuxBtfSync } from '../../main/host/btf-files';

const refBtf = loadReferenceVmlinuxBtfSync();
const kfuncs: Record<number, string> = {};
const resolveCall = (name: string): { src: number; imm: number } | undefined => {
  const id = refBtf.findByName(name, 'FUNC');
  if (id === undefined) return undefined;
  kfuncs[id] = name;
  return { src: 2, imm: id };
};
const asmHex = (t: string): string =>
  insnsToHex(assemble(t, { syntax: 'kernel', resolveCall })).replace(/\s+/g, '');

function assembleText(t: string): string {
  if (!/^\s*\.raw\b/m.test(t)) return asmHex(t);
  return t
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const m = /^\s*\.raw\s+([0-9a-f]{2})\s+([0-9a-f]{2})\s+([0-9a-f]{4})\s+([0-9a-f]{8})\s*$/i.exec(l);
      return m ? m.slice(1).join('').toLowerCase() : asmHex(l);
    })
    .join('');
}

const texts = JSON.parse(readFileSync(0, 'utf8')) as string[];
const out = texts.map((t) => {
  try {
    return assembleText(t);
  } catch (e) {
    return { error: (e as Error).message };
  }
});
process.stdout.write(JSON.stringify({ progs: out, kfuncs }));
