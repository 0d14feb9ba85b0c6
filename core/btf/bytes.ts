/**
 * Bounds-checked little-endian reading and writing of byte buffers, shared by core/btf and
 * core/elf.
 *
 * The readers never throw on short input: callers ask `fits` first, and a read past the
 * end is a bug in the caller, not in the input. Offsets coming from the input (which may
 * be garbage: negative, huge, not integers) must pass `fits` before use.
 */

const utf8 = new TextDecoder('utf-8', { fatal: false });

export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Whether [off, off + len) lies inside a buffer of `total` bytes; false for any odd number. */
export function fits(total: number, off: number, len: number): boolean {
  return (
    Number.isSafeInteger(off) && Number.isSafeInteger(len) && off >= 0 && len >= 0 && off + len <= total
  );
}

/**
 * The NUL-terminated string at `off`, decoded as UTF-8; undefined when `off` is outside
 * [0, end) or no NUL comes before `end` (default: the buffer's end).
 */
export function cString(bytes: Uint8Array, off: number, end = bytes.byteLength): string | undefined {
  if (!Number.isSafeInteger(off) || off < 0 || off >= end || end > bytes.byteLength) return undefined;
  const nul = bytes.subarray(off, end).indexOf(0);
  if (nul < 0) return undefined;
  return utf8.decode(bytes.subarray(off, off + nul));
}

/** Reads a u64 as a number; values above 2^53 are returned as they round (callers check `fits`). */
export function u64(view: DataView, off: number): number {
  return Number(view.getBigUint64(off, true));
}

/** A growing little-endian byte buffer for the writers. */
export class ByteWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): number {
    const at = this.length;
    if (at + n > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < at + n) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    this.length += n;
    return at;
  }

  // Each writer reserves before touching `this.view`: reserving may replace the buffer.
  u8(v: number): void {
    const at = this.reserve(1);
    this.view.setUint8(at, v);
  }
  u16(v: number): void {
    const at = this.reserve(2);
    this.view.setUint16(at, v, true);
  }
  u32(v: number): void {
    const at = this.reserve(4);
    this.view.setUint32(at, v >>> 0, true);
  }
  i32(v: number): void {
    const at = this.reserve(4);
    this.view.setInt32(at, v | 0, true);
  }
  /** Numbers that are not integers (never valid here) are truncated, NaN written as 0, rather than throw. */
  u64(v: number | bigint): void {
    const at = this.reserve(8);
    const big = typeof v === 'bigint' ? v : BigInt(Number.isFinite(v) ? Math.trunc(v) : 0);
    this.view.setBigUint64(at, BigInt.asUintN(64, big), true);
  }
  bytes(b: Uint8Array): void {
    const at = this.reserve(b.length);
    this.buf.set(b, at);
  }
  /** Pads with zero bytes up to a multiple of `align`. */
  align(align: number): void {
    while (this.length % align !== 0) this.u8(0);
  }
  /** Overwrites a u32 already written (for sizes known only later). */
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v >>> 0, true);
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}
