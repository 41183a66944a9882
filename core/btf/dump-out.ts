// Byte output for the dumps: text is assembled as ASCII/UTF-8 bytes in large
// buffers (names copied straight from the string section), so a 12 MB dump
// makes a dozen allocations instead of millions of strings, and the CLI can
// hand the chunks to write(2) without a UTF-8 round trip.

/** Encodes an ASCII literal once, at module load. */
export const ascii = (s: string): Uint8Array => {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
};

/** Headroom kept past `chunkBytes` so one type rarely forces a regrow. */
const SLACK = 1 << 16;

export class DumpSink {
  buf: Uint8Array;
  pos = 0;
  /** Finished chunks (when collecting rather than streaming). */
  readonly chunks: Uint8Array[] = [];

  /**
   * With `onChunk`, full chunks go there (valid during the call only: the
   * buffer is reused) instead of being collected.
   */
  constructor(
    readonly chunkBytes = 1 << 20,
    private readonly onChunk?: (chunk: Uint8Array) => void,
  ) {
    this.buf = new Uint8Array(chunkBytes + SLACK);
  }

  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n + SLACK));
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
  }

  /**
   * At a type boundary: when the buffer holds chunkBytes, returns its bytes and
   * starts a new buffer (the returned chunk is never written again, so a
   * consumer may keep it, e.g. an async stream write).
   */
  cut(): Uint8Array | undefined {
    if (this.pos < this.chunkBytes) return undefined;
    return this.take();
  }

  /** Whatever is buffered, as a chunk of its own. */
  take(): Uint8Array {
    const c = this.buf.subarray(0, this.pos);
    this.buf = new Uint8Array(this.chunkBytes + SLACK);
    this.pos = 0;
    return c;
  }

  /** At a type boundary: hands a full chunk to onChunk, or into `chunks`. */
  collect(): void {
    if (this.pos < this.chunkBytes) return;
    if (this.onChunk) {
      this.onChunk(this.buf.subarray(0, this.pos));
      this.pos = 0;
    } else this.chunks.push(this.take());
  }

  /** Short literal: a byte loop beats TypedArray.set for a few bytes. */
  lit(s: Uint8Array): void {
    const n = s.length;
    if (this.pos + n > this.buf.length) this.grow(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s[i]!;
    this.pos = p;
  }

  byte(c: number): void {
    if (this.pos >= this.buf.length) this.grow(1);
    this.buf[this.pos++] = c;
  }

  /** A newline and `n` tabs. */
  nlTabs(n: number): void {
    if (this.pos + n + 1 > this.buf.length) this.grow(n + 1);
    const b = this.buf;
    let p = this.pos;
    b[p++] = 10;
    for (let i = 0; i < n; i++) b[p++] = 9;
    this.pos = p;
  }

  /** `n` tabs. */
  tabs(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = 9;
    this.pos = p;
  }

  /** Decimal of a non-negative integer below 2^53. */
  uint(n: number): void {
    if (this.pos + 20 > this.buf.length) this.grow(20);
    this.pos = putUint(this.buf, this.pos, n);
  }

  int(n: number): void {
    if (n < 0) {
      this.byte(45);
      this.uint(-n);
    } else this.uint(n);
  }

  /** Bytes [s, first NUL after s) of `src`: a string-section entry. */
  cstr(src: Uint8Array, s: number): void {
    let e = s;
    while (src[e] !== 0 && e < src.length) e++;
    const n = e - s;
    if (this.pos + n > this.buf.length) this.grow(n);
    const b = this.buf;
    let p = this.pos;
    for (let k = s; k < e; k++) b[p++] = src[k]!;
    this.pos = p;
  }

  /** All chunks of a finished dump: the collected ones and what is left in the buffer. */
  finish(): Uint8Array[] {
    if (this.pos && this.onChunk) {
      this.onChunk(this.buf.subarray(0, this.pos));
      this.pos = 0;
    } else if (this.pos) this.chunks.push(this.take());
    return this.chunks;
  }
}

/** Writes `s` at `pos` (room checked by the caller); returns the new position. */
export function putLit(b: Uint8Array, pos: number, s: Uint8Array): number {
  for (let i = 0; i < s.length; i++) b[pos++] = s[i]!;
  return pos;
}

/** Decimal of a non-negative integer below 2^53 at `pos` (≤ 16 bytes; room checked by the caller). */
export function putUint(b: Uint8Array, pos: number, n: number): number {
  if (n < 10) {
    b[pos] = 48 + n;
    return pos + 1;
  }
  if (n > 0xffffffff) return putLit(b, pos, ascii(String(n)));
  const len =
    n >= 100000
      ? n >= 10000000
        ? n >= 1000000000
          ? 10
          : n >= 100000000
            ? 9
            : 8
        : n >= 1000000
          ? 7
          : 6
      : n >= 1000
        ? n >= 10000
          ? 5
          : 4
        : n >= 100
          ? 3
          : 2;
  const end = pos + len;
  let p = end;
  while (n >= 10) {
    const q = (n / 10) >>> 0;
    b[--p] = 48 + n - q * 10;
    n = q;
  }
  b[--p] = 48 + n;
  return end;
}

export function putInt(b: Uint8Array, pos: number, n: number): number {
  if (n >= 0) return putUint(b, pos, n);
  b[pos] = 45;
  return putUint(b, pos + 1, -n);
}

/** Room for one type's fixed text: 128 bytes plus 96 per member line, names apart. */
const utf8 = new TextDecoder();

/** Chunks → one string (UTF-8; chunks end at type boundaries, so no character is split). */
export function chunksToString(chunks: Iterable<Uint8Array>): string {
  let s = '';
  for (const c of chunks) s += utf8.decode(c);
  return s;
}
