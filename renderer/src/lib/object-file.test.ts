import { describe, expect, it } from 'vitest';
import {
  bytesToBase64,
  deliverObject,
  isObjectFileName,
  objectProgramArg,
  onObject,
  setCurrentObject,
} from './object-file';

describe('object files for the Program view', () => {
  it('encodes bytes as base64 across chunk boundaries', () => {
    const bytes = new Uint8Array(0x8000 * 2 + 5).map((_, i) => (i * 7) & 0xff);
    expect(bytesToBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
  });

  it('keeps an object delivered before the view listens, and hands later ones straight over', () => {
    const got: string[] = [];
    deliverObject({ name: 'early.bpf.o', base64: '' });
    const off = onObject((f) => got.push(f.name));
    deliverObject({ name: 'late.bpf.o', base64: '' });
    off();
    deliverObject({ name: 'after.bpf.o', base64: '' });
    expect(got).toEqual(['early.bpf.o', 'late.bpf.o']);
  });

  it('knows an object file by its name', () => {
    expect(['a.bpf.o', 'B.O', 'a.yaml', 'a.oo'].map(isObjectFileName)).toEqual([true, true, false, false]);
  });

  it("names a program of the object on screen by the route's object/<program>", () => {
    expect(objectProgramArg('object/p1')).toBeNull();
    setCurrentObject({ name: 'a.bpf.o', base64: 'AAAA' });
    expect(objectProgramArg('object/p1')).toEqual({ base64: 'AAAA', program: 'p1' });
    expect(objectProgramArg('hand-0002')).toBeNull();
    setCurrentObject(null);
    expect(objectProgramArg('object/p1')).toBeNull();
  });
});
