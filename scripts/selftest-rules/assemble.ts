// Assembles the programs of programs.txt (kmodel's assembler) for gen.py: reads a JSON list of
// assembly texts on stdin, prints a JSON list of hex strings (or {error}) on stdout.
import { readFileSync } from 'node:fs';
import { assemble } from '../../core/isa/asm';
import { insnsToHex } from '../../core/isa/encoding';

const texts = JSON.parse(readFileSync(0, 'utf8')) as string[];
const out = texts.map((t) => {
  try {
    return insnsToHex(assemble(t, { syntax: 'kernel' })).replace(/\s+/g, '');
  } catch (e) {
    return { error: (e as Error).message };
  }
});
process.stdout.write(JSON.stringify(out));
