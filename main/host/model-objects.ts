// BPF objects a model file names (`programs: [{ object }]`, `instances: [{ object }]`),
// read for the app: relative to the model file, only `.o` files in its folder or below,
// so a model cannot make the host read files elsewhere.
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { readInputFile } from './input-file';

export function objectReaderBeside(modelPath: string): (path: string) => Uint8Array {
  const dir = dirname(modelPath);
  return (path) => {
    const abs = resolve(dir, path);
    const rel = relative(dir, abs);
    if (rel.startsWith('..') || isAbsolute(rel)) throw new Error(`outside the model file's folder`);
    if (!/\.o$/i.test(abs)) throw new Error('a BPF object file ends in .o');
    return readInputFile(abs, 'program');
  };
}
