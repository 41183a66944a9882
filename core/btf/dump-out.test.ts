import { describe, expect, it } from 'vitest';
import { ascii, chunksToString, DumpSink } from './dump-out';

const text = (s: DumpSink) => chunksToString(s.finish());

describe('DumpSink', () => {
  it('prints integers as String() does, at every digit count and past 2^32', () => {
    const values = [0, 7, 9, 10, 99, 100, 4095, 65535, 999999, 1000000, 2147483647, 2147483648, 4294967295];
    for (let p = 1; p <= 1e15; p *= 10) values.push(p - 1, p, p + 1);
    values.push(2 ** 32, 2 ** 53 - 1);
    const s = new DumpSink(64);
    for (const v of values) {
      s.uint(v);
      s.byte(32);
      s.int(-v);
      s.byte(10);
    }
    expect(text(s)).toBe(values.map((v) => `${v} ${v === 0 ? 0 : -v}\n`).join(''));
  });

  it('copies NUL-terminated strings, literals and tabs, growing past its chunk size', () => {
    const strs = new Uint8Array([0, ...ascii('sk_buff'), 0, ...new TextEncoder().encode('é'), 0]);
    const s = new DumpSink(4);
    for (let i = 0; i < 1000; i++) {
      s.cstr(strs, 1);
      s.tabs(2);
      s.cstr(strs, 9);
      s.lit(ascii(' = '));
      s.cstr(strs, 0);
    }
    expect(text(s)).toBe('sk_buff\t\té = '.repeat(1000));
  });

  it('hands out chunks at boundaries that are never written again', () => {
    const s = new DumpSink(8);
    const out: Uint8Array[] = [];
    for (let i = 0; i < 100; i++) {
      s.lit(ascii(`line ${i}\n`));
      const c = s.cut();
      if (c) out.push(c);
    }
    out.push(s.take());
    expect(out.length).toBeGreaterThan(50);
    expect(chunksToString(out)).toBe(Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join(''));
  });
});
