/**
 * One 8-byte instruction slot, decoded into its fields (RFC 9669 §3).
 *
 *   byte 0      byte 1           bytes 2-3        bytes 4-7
 *   +--------+--------+--------+----------------+--------------------------------+
 *   | opcode | src:4  | dst:4  | offset (s16)   | immediate (s32)                |
 *   +--------+--------+--------+----------------+--------------------------------+
 *
 * On a little-endian target the register byte holds dst in its low nibble and src in its
 * high nibble. An lddw (opcode 0x18) takes two slots; the second slot is kept as a slot of
 * its own, with opcode 0 and the upper 32 bits of the constant in `imm`, exactly as the
 * kernel keeps it, so that slot indexes (`pc`, `insnIdx`) count as the kernel counts.
 */

export interface Insn {
  /** The opcode byte. */
  code: number;
  /** Destination register number, 0-15 (only 0-10 exist). */
  dst: number;
  /** Source register number, 0-15, or a pseudo-source selector (lddw, call). */
  src: number;
  /** Signed 16-bit offset. */
  off: number;
  /** Signed 32-bit immediate. */
  imm: number;
}

export const SLOT_BYTES = 8;
export const LDDW_CODE = 0x18;

export function insn(code: number, dst = 0, src = 0, off = 0, imm = 0): Insn {
  return { code, dst, src, off, imm };
}

export function isLddw(i: Insn): boolean {
  return i.code === LDDW_CODE;
}

/** Decodes slots from bytes. A trailing partial slot is ignored and reported by the caller. */
export function decodeSlots(bytes: Uint8Array): Insn[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Math.floor(bytes.byteLength / SLOT_BYTES);
  const out: Insn[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const b = i * SLOT_BYTES;
    const regs = view.getUint8(b + 1);
    out[i] = {
      code: view.getUint8(b),
      dst: regs & 0x0f,
      src: regs >> 4,
      off: view.getInt16(b + 2, true),
      imm: view.getInt32(b + 4, true),
    };
  }
  return out;
}

export function encodeSlots(insns: readonly Insn[]): Uint8Array {
  const bytes = new Uint8Array(insns.length * SLOT_BYTES);
  const view = new DataView(bytes.buffer);
  insns.forEach((i, idx) => {
    const b = idx * SLOT_BYTES;
    view.setUint8(b, i.code & 0xff);
    view.setUint8(b + 1, ((i.src & 0x0f) << 4) | (i.dst & 0x0f));
    view.setInt16(b + 2, i.off, true);
    view.setInt32(b + 4, i.imm | 0, true);
  });
  return bytes;
}

/** The 64-bit constant of an lddw pair, as an unsigned bigint. */
export function lddwValue(lo: Insn, hi: Insn | undefined): bigint {
  return (BigInt((hi?.imm ?? 0) >>> 0) << 32n) | BigInt(lo.imm >>> 0);
}

/** Splits a 64-bit constant (signed or unsigned) into the two s32 immediates of an lddw. */
export function splitImm64(value: bigint): { lo: number; hi: number } {
  const v = BigInt.asUintN(64, value);
  return { lo: Number(BigInt.asIntN(32, v)), hi: Number(BigInt.asIntN(32, v >> 32n)) };
}

/** Formats a slot as eight lowercase two-digit hex bytes in memory order. */
export function slotHex(i: Insn): string {
  return Array.from(encodeSlots([i]), (b) => b.toString(16).padStart(2, '0')).join(' ');
}
