/**
 * A bounds-checked little-endian cursor over one DWARF section. It never throws and never
 * reads outside its bytes: a read past the end (or at an offset that is not a safe integer)
 * returns 0 and sets `bad`, which callers check once after a record rather than after
 * every field. 64-bit values are numbers: DWARF offsets and BPF addresses stay far below
 * 2^53, and a larger one is garbage that later bounds checks refuse.
 */

import { fits } from '../btf/bytes';

export class Cursor {
  bad = false;
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array, public off = 0) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get atEnd(): boolean {
    return this.bad || this.off >= this.bytes.length;
  }

  private take(n: number): number {
    if (this.bad || !fits(this.bytes.length, this.off, n)) {
      this.bad = true;
      return -1;
    }
    const at = this.off;
    this.off += n;
    return at;
  }

  u8(): number {
    const at = this.take(1);
    return at < 0 ? 0 : this.view.getUint8(at);
  }
  u16(): number {
    const at = this.take(2);
    return at < 0 ? 0 : this.view.getUint16(at, true);
  }
  u24(): number {
    const lo = this.u16();
    return lo | (this.u8() << 16);
  }
  u32(): number {
    const at = this.take(4);
    return at < 0 ? 0 : this.view.getUint32(at, true);
  }
  u64(): number {
    const at = this.take(8);
    return at < 0 ? 0 : Number(this.view.getBigUint64(at, true));
  }
  /** An unsigned integer of 1, 2, 4 or 8 bytes. */
  uN(n: number): number {
    return n === 1 ? this.u8() : n === 2 ? this.u16() : n === 4 ? this.u32() : n === 8 ? this.u64() : (this.bad = true, 0);
  }
  s8(): number { return (this.u8() << 24) >> 24; }
  s16(): number { return (this.u16() << 16) >> 16; }
  s32(): number { return this.u32() | 0; }
  s64(): bigint {
    const at = this.take(8);
    return at < 0 ? 0n : this.view.getBigInt64(at, true);
  }
  u64Big(): bigint {
    const at = this.take(8);
    return at < 0 ? 0n : this.view.getBigUint64(at, true);
  }

  /** ULEB128 as a bigint (all of its bits). */
  ulebBig(): bigint {
    let v = 0n, shift = 0n;
    for (;;) {
      const at = this.take(1);
      if (at < 0) return 0n;
      const b = this.bytes[at];
      if (shift < 64n) v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (!(b & 0x80)) return v;
    }
  }
  /** SLEB128 as a bigint. */
  slebBig(): bigint {
    let v = 0n, shift = 0n, b = 0;
    for (;;) {
      const at = this.take(1);
      if (at < 0) return 0n;
      b = this.bytes[at];
      if (shift < 64n) v |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (!(b & 0x80)) break;
    }
    if (b & 0x40 && shift < 64n) v -= 1n << shift;
    return BigInt.asIntN(64, v);
  }
  /** ULEB128 as a number; a value past 2^53 marks the cursor bad (no offset or count is that large). */
  uleb(): number {
    const v = this.ulebBig();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) { this.bad = true; return 0; }
    return Number(v);
  }
  sleb(): number {
    const v = this.slebBig();
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) { this.bad = true; return 0; }
    return Number(v);
  }

  /** `n` bytes (a copy-free view). */
  block(n: number): Uint8Array {
    const at = this.take(n);
    return at < 0 ? new Uint8Array(0) : this.bytes.subarray(at, at + n);
  }

  /** A NUL-terminated string. */
  cstr(): string {
    const rest = this.bytes.subarray(Math.min(this.off, this.bytes.length));
    const nul = rest.indexOf(0);
    if (this.bad || nul < 0) { this.bad = true; return ''; }
    const s = new TextDecoder().decode(rest.subarray(0, nul));
    this.off += nul + 1;
    return s;
  }
}
