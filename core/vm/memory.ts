/**
 * The VM's memory: a set of regions (context, packet, stack frames, map values, helper
 * buffers), each at its own address, every access checked.
 *
 * Address layout: region k lives at (HI_BASE + k) << 32 | LO_BASE, so the high half of an
 * address names the region in O(1) and a pointer that wanders before or after its region
 * (or is truncated to 32 bits, or is NULL) lands in no region. Accesses are half-open:
 * [addr, addr + size) must lie inside [base, base + length).
 *
 * The VM never touches memory outside its regions, even for programs the verifier rejects:
 * a bad access becomes a `MemFault` value, never a JavaScript exception or a wild write.
 */

export const HI_BASE = 0x7f00;
export const LO_BASE = 0x10000000;
const MAX_REGIONS = 0x10000; // map values each get a region: room for many

export type RegionKind = 'ctx' | 'packet' | 'stack' | 'mem' | 'map_value' | 'ringbuf' | 'rodata' | 'helper';

export interface Region {
  name: string;
  kind: RegionKind;
  bytes: Uint8Array;
  view: DataView;
  /** High and low halves of the base address. */
  hi: number;
  lo: number;
  writable: boolean;
  /**
   * The accessible window [lowOff, highOff) of `bytes`: a packet region holds headroom and
   * tailroom that the program may not touch until a helper moves data or data_end there.
   */
  lowOff: number;
  highOff: number;
  /**
   * Context fields that hold pointers (xdp_md.data, __sk_buff.data_end...): the kernel
   * rewrites their narrow loads into loads of the real pointer, so a load at one of these
   * offsets yields the pointer's 64-bit value.
   */
  pointerFields?: Map<number, () => { lo: number; hi: number }>;
  /** Writes to read-only context fields are faults; these offsets may be written. */
  writableFields?: (off: number, size: number) => boolean;
}

export interface MemFault {
  kind: 'read' | 'write';
  lo: number;
  hi: number;
  size: number;
  message: string;
}

export class Memory {
  /** Regions by index (the high half of their addresses less HI_BASE); read by the loop and the JIT, written only here. */
  readonly slots: (Region | undefined)[] = [];
  private free: number[] = [];

  add(name: string, kind: RegionKind, bytes: Uint8Array, writable: boolean): Region {
    const k = this.free.pop() ?? this.slots.length;
    if (k >= MAX_REGIONS) throw new Error('internal error: too many memory regions');
    const region: Region = {
      name, kind, bytes, writable,
      view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      hi: HI_BASE + k, lo: LO_BASE, lowOff: 0, highOff: bytes.length,
      // Present from the start, so that every region has one shape for the loop's property loads.
      pointerFields: undefined, writableFields: undefined,
    };
    this.slots[k] = region;
    return region;
  }

  remove(region: Region): void {
    const k = region.hi - HI_BASE;
    if (this.slots[k] === region) {
      this.slots[k] = undefined;
      this.free.push(k);
    }
  }

  regions(): Region[] {
    return this.slots.filter((r): r is Region => r !== undefined);
  }

  /** The region holding [addr, addr + size), or undefined. */
  find(lo: number, hi: number, size: number): Region | undefined {
    const r = this.slots[hi - HI_BASE];
    if (!r) return undefined;
    const off = (lo >>> 0) - LO_BASE;
    return off >= r.lowOff && off + size <= r.highOff ? r : undefined;
  }

  /**
   * The region a 64-bit value points into, by its high half, and the byte offset within the
   * region's buffer (unchecked: it may lie outside). Undefined for a value that is no address.
   */
  locate(value: bigint): { region: Region; off: number } | undefined {
    const v = BigInt.asUintN(64, value);
    const region = this.slots[Number(v >> 32n) - HI_BASE];
    return region && { region, off: Number(v & 0xffffffffn) - LO_BASE };
  }

  /** Byte offset of an address inside a region it is known to lie in. */
  static offset(r: Region, lo: number): number {
    return (lo >>> 0) - LO_BASE;
  }

  /** A fault naming the address, the size and the nearest region, with where the access fell. */
  fault(kind: 'read' | 'write', lo: number, hi: number, size: number): MemFault {
    const addr = `0x${((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString(16)}`;
    const what = `invalid ${kind} of ${size} byte${size === 1 ? '' : 's'} at ${addr}`;
    if (hi === 0 && (lo >>> 0) < 0x10000) return { kind, lo, hi, size, message: `${what}: a NULL pointer dereference` };
    const near = this.nearest(lo, hi);
    return { kind, lo, hi, size, message: near ? `${what}: ${near}` : `${what}: not in any memory region` };
  }

  private nearest(lo: number, hi: number): string | undefined {
    const r = this.slots[hi - HI_BASE];
    if (!r) return undefined;
    const off = (lo >>> 0) - LO_BASE - r.lowOff;
    const len = r.highOff - r.lowOff;
    if (off < 0) return `${-off} bytes before ${r.name} (${len} bytes)`;
    if (off >= len) return `${off - len} bytes past the end of ${r.name} (${len} bytes)`;
    return `it runs past the end of ${r.name} (offset ${off} of ${len} bytes)`;
  }

  /** The address of byte `off` of a region. */
  static address(r: Region, off: number): { lo: number; hi: number } {
    return { lo: (LO_BASE + off) | 0, hi: r.hi };
  }
}
