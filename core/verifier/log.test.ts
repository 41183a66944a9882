import { describe, expect, it } from 'vitest';
import { ScratchSet, VerifierLog } from './log';

// A reference rotating log: the whole text, cut to its last keep-1 bytes (ASCII here).
class Reference {
  text = '';
  start = 0;
  constructor(private readonly window: number) {}
  write(s: string): void {
    this.text += s;
    this.start = Math.max(this.start, this.text.length - this.window);
  }
  reset(pos: number): void {
    if (pos >= this.text.length) return;
    this.text = this.text.slice(0, pos);
    if (pos < this.start) this.start = pos;
  }
  get shown(): string {
    return this.text.slice(this.start);
  }
}

describe('VerifierLog', () => {
  it('keeps the last keep-1 bytes, as the kernel’s rotating log', () => {
    const log = new VerifierLog(1, 11);
    log.write('0123456789');
    expect(log.text).toBe('0123456789');
    expect(log.truncated).toBe(false);
    log.write('abc');
    expect(log.text).toBe('3456789abc');
    expect(log.truncated).toBe(true);
    expect(log.pos).toBe(13);
    expect(log.tail(4)).toBe('9abc');
  });

  it('cuts back to a saved position, and empties when the position rotated out', () => {
    const log = new VerifierLog(1, 8);
    log.write('abcdef');
    const p = log.pos;
    log.write('ghi');
    log.reset(p);
    // Bytes 0-1 rotated out while ghi was there and stay out.
    expect(log.text).toBe('cdef');
    log.write('XYZUVWT');
    log.reset(p);
    expect(log.text).toBe('');
    log.write('q');
    expect(log.text).toBe('q');
  });

  it.each([1, 64, 1 << 14])(
    'matches a plain string log on random writes and resets (chunks of %i)',
    (chunk) => {
      let seed = 7;
      const rnd = (n: number) => {
        seed = (seed * 1103515245 + 12345) >>> 0;
        return seed % n;
      };
      const log = new VerifierLog(1, 300, chunk);
      const ref = new Reference(299);
      const saved: number[] = [];
      for (let i = 0; i < 20_000; i++) {
        const op = rnd(10);
        if (op < 7) {
          const s = 'x'.repeat(rnd(40)) + String(i) + (rnd(3) ? '\n' : '');
          log.write(s);
          ref.write(s);
        } else if (op < 9) saved.push(log.pos);
        else if (saved.length) {
          const p = saved.pop()!;
          log.reset(p);
          ref.reset(p);
        }
        expect(log.pos).toBe(ref.text.length);
        if (i % 997 === 0) expect(log.text).toBe(ref.shown);
      }
      expect(log.text).toBe(ref.shown);
      expect(log.tail(5)).toBe(ref.shown.slice(-5));
    },
  );

  it('keeps a long log’s tail across many joined chunks, cut back into older ones', () => {
    const log = new VerifierLog(1, 100_001);
    const ref = new Reference(100_000);
    const line = (i: number) => `${i}: ${'r'.repeat(i % 90)}\n`;
    const saved: number[] = [];
    for (let i = 0; i < 30_000; i++) {
      if (i % 1000 === 0) saved.push(log.pos);
      if (i % 1500 === 0 && saved.length > 1) {
        const p = saved.splice(-2, 2)[0]!;
        log.reset(p);
        ref.reset(p);
      }
      log.write(line(i));
      ref.write(line(i));
    }
    expect(log.pos).toBe(ref.text.length);
    expect(log.text).toBe(ref.shown);
    expect(log.tail(7)).toBe(ref.shown.slice(-7));
  });

  it('counts bytes, not characters, and writes nothing at level 0', () => {
    const log = new VerifierLog(1);
    log.write('é→x');
    expect(log.text).toBe('é→x');
    // Written text is counted in characters until it is encoded (the kernel's logs are ASCII).
    expect(log.pos).toBe(6);
    const off = new VerifierLog(0);
    off.write('abc');
    expect(off.text).toBe('');
    expect(off.pos).toBe(0);
  });
});

describe('ScratchSet', () => {
  it('holds registers and slots as a Set would, and clears', () => {
    const s = new ScratchSet();
    const ref = new Set<number>();
    for (const i of [0, 10, 31, 32, 40, 63, 64, 100, -1, 10, 63]) {
      s.add(i);
      ref.add(i);
    }
    for (let i = -2; i < 130; i++) expect(s.has(i)).toBe(ref.has(i));
    expect(s.size).toBe(ref.size);
    expect([...s]).toEqual([...ref].sort((a, b) => a - b));
    s.clear();
    expect(s.size).toBe(0);
    expect([...s]).toEqual([]);
    expect(s.has(31)).toBe(false);
  });
});
