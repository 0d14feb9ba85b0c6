/**
 * A test-side BTF encoder, written independently of core/btf/build.ts from the layout in
 * include/uapi/linux/btf.h, so that tests can make blobs with every kind (and broken
 * ones) and check the reader against what they put in.
 */

export interface RawType {
  name?: string;
  /** BTF_KIND_* number. */
  kind: number;
  vlen?: number;
  kflag?: boolean;
  /** The size/type word. */
  sizeOrType: number;
  /** The kind-specific data, as u32 words; a string in the list is replaced by its offset. */
  extra?: (number | string)[];
}

export class RawBtf {
  readonly strings: string[] = [''];

  str(s: string): number {
    let off = 0;
    for (const x of this.strings) {
      if (x === s) return off;
      off += Buffer.byteLength(x) + 1;
    }
    this.strings.push(s);
    return off;
  }

  /** The type section bytes. */
  types(list: RawType[]): Buffer {
    const words: number[] = [];
    for (const t of list) {
      const info = ((t.kflag ? 1 : 0) << 31) | (t.kind << 24) | ((t.vlen ?? 0) & 0xffff);
      words.push(t.name ? this.str(t.name) : 0, info >>> 0, t.sizeOrType >>> 0);
      for (const e of t.extra ?? []) words.push(typeof e === 'string' ? this.str(e) : e >>> 0);
    }
    const b = Buffer.alloc(words.length * 4);
    words.forEach((w, i) => b.writeUInt32LE(w, i * 4));
    return b;
  }

  /** A whole blob: header (24 bytes), types, strings. */
  blob(list: RawType[]): Uint8Array {
    const types = this.types(list);
    const strs = Buffer.concat(this.strings.map((s) => Buffer.concat([Buffer.from(s), Buffer.alloc(1)])));
    const hdr = Buffer.alloc(24);
    hdr.writeUInt16LE(0xeb9f, 0);
    hdr.writeUInt8(1, 2);
    hdr.writeUInt32LE(24, 4);
    hdr.writeUInt32LE(0, 8);
    hdr.writeUInt32LE(types.length, 12);
    hdr.writeUInt32LE(types.length, 16);
    hdr.writeUInt32LE(strs.length, 20);
    return new Uint8Array(Buffer.concat([hdr, types, strs]));
  }
}
