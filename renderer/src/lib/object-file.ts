import type { SourceLine } from '../../../main/api/types';

// A BPF ELF object (clang `*.bpf.o`) handed to the Program view from wherever it
// came in (File ▸ Open, a drop, the view's file input). The view may not be
// mounted yet when it arrives, so the last one waits for it.

export interface ObjectFile {
  name: string;
  base64: string;
}

type Listener = (f: ObjectFile) => void;
let listener: Listener | null = null;
let pending: ObjectFile | null = null;

export const isObjectFileName = (name: string): boolean => /\.o$/i.test(name);

/** Bytes as base64, in chunks (spreading a large array into fromCharCode overflows the stack). */
export function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

export async function readObjectFile(file: File): Promise<ObjectFile> {
  return { name: file.name, base64: bytesToBase64(new Uint8Array(await file.arrayBuffer())) };
}

/** Hands an object to the Program view (now, or when it mounts). */
export function deliverObject(f: ObjectFile): void {
  if (listener) listener(f);
  else pending = f;
}

/** The Program view takes objects; returns the unsubscribe function. */
export function onObject(l: Listener): () => void {
  listener = l;
  if (pending) {
    const f = pending;
    pending = null;
    l(f);
  }
  return () => {
    if (listener === l) listener = null;
  };
}

let current: ObjectFile | null = null;

/** The object on screen in the Program view: the Verifier view loads its programs by name. */
export function setCurrentObject(f: ObjectFile | null): void {
  current = f;
}

/** `object/<program>` (the Verifier view's route argument) → the current object's program. */
export function objectProgramArg(arg: string | null): { base64: string; program: string } | null {
  const m = arg ? /^object\/(\w+)$/.exec(arg) : null;
  return m && current ? { base64: current.base64, program: m[1]! } : null;
}

/** The C line to show above each insn: where a record starts a different source line than the last one. */
export function sourceRows(source: readonly SourceLine[]): Map<number, SourceLine> {
  const at = new Map<number, SourceLine>();
  let last = '';
  for (const s of [...source].sort((a, b) => a.idx - b.idx)) {
    const key = `${s.file}:${s.line}`;
    if (key !== last) at.set(s.idx, s);
    last = key;
  }
  return at;
}
