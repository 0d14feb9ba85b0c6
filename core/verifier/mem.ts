/**
 * Loads, stores and atomics: the kernel's check_mem_access() per pointer kind, with its
 * messages — the stack (spills, fills, uninitialised bytes), the context (per program type,
 * ctxRules.ts), the packet (the range proven by a bounds check), map values and ringbuf
 * memory (their sizes), and everything else refused.
 */

import { Insn } from '../isa/insn';
import { Scalar, scalarConst, scalarUnknown } from './scalar';
import { coerceRegToSize, coerceRegToSizeSx } from './scalarAlu';
import { constReg, curFrame, isPointer, isPktPointer, ptrReg, Reg, regTypeName, scalarReg, StackSlot, VState } from './state';
import { Ctx, fail, readReg } from './step';
import { checkCtxAccess, canWritePacket } from './ctxRules';
import { tnumAdd, tnumConst, tnumIsAligned, tnumIsConst } from './tnum';

export const MAX_STACK = 512;

/** A read's value of `size` bytes: unknown, zero-extended (or sign-extended for ldsx). */
function loaded(size: number, signed: boolean): Reg {
  return scalarReg(signed ? coerceRegToSizeSx(scalarUnknown(), size) : coerceRegToSize(scalarUnknown(), size));
}

export function checkMemAccess(
  ctx: Ctx, st: VState, pc: number, regno: number, insnOff: number, size: number,
  type: 'read' | 'write', valueRegno: number, signed: boolean, imm?: Scalar,
): void {
  const reg = readReg(st, regno);
  const frame = curFrame(st);
  const value: Reg | undefined = type === 'write' ? (valueRegno >= 0 ? frame.regs[valueRegno] : scalarReg(imm)) : undefined;
  const setResult = (r: Reg) => { if (type === 'read') frame.regs[valueRegno] = r; };

  if (reg.kind === 'map_ptr' && !reg.maybeNull && type === 'write') fail('only read from bpf_array is supported');
  if (reg.kind === 'scalar' || reg.maybeNull || reg.kind === 'pkt_end' || reg.kind === 'map_ptr' || reg.kind === 'func') {
    fail(`R${regno} invalid mem access '${regTypeName(reg)}'`);
  }
  const varConst = tnumIsConst(reg.v.varOff);
  const off = reg.off + insnOff;

  switch (reg.kind) {
    case 'stack': {
      const f = st.frames[reg.frameno ?? st.frames.length - 1];
      // Stack accesses must be aligned to their size, whatever the variable part may be
      // (check_generic_ptr_alignment(), strict for the stack); the kernel checks this first.
      const aligned = tnumIsAligned(tnumAdd(reg.v.varOff, tnumConst(BigInt(off))), BigInt(size));
      if (!aligned) {
        const vo = varConst ? String(BigInt.asIntN(64, reg.v.varOff.value)) : varOffString(reg);
        fail(`misaligned stack access off ${vo}+${reg.off}+${insnOff} size ${size}`);
      }
      if (!varConst) {
        // A variable offset (allowed to privileged programs): every possible byte must be in the stack.
        if (reg.v.smax >= 1n << 29n || reg.v.smin <= -(1n << 29n)) {
          fail(`invalid unbounded variable-offset ${type === 'read' ? 'read from' : 'write to'} stack R${regno}`);
        }
        const lo = BigInt(off) + reg.v.smin, hi = BigInt(off) + reg.v.smax;
        if (lo < -MAX_STACK || hi + BigInt(size) > 0n || reg.v.smin === -(1n << 63n)) {
          fail(`invalid variable-offset ${type === 'read' ? 'read from' : 'write to'} stack R${regno} var_off=${varOffString(reg)} off=${off} size=${size}`);
        }
        if (type === 'write') for (let b = Number(lo); b < Number(hi) + size; b++) stackWrite(f.slots, b, 1, scalarReg(), 'unknown');
        else setResult(loaded(size, signed));
        return;
      }
      const total = off + Number(BigInt.asIntN(64, reg.v.varOff.value));
      ctx.stackDepth.set(f.subprog, Math.max(ctx.stackDepth.get(f.subprog) ?? 0, -total));
      // Stack accesses must be aligned to their size (check_ptr_alignment(), strict for the stack).
      if (total % size !== 0) fail(`misaligned stack access off ${Number(BigInt.asIntN(64, reg.v.varOff.value))}+${reg.off}+${insnOff} size ${size}`);
      if (total < -MAX_STACK || total + size > 0 || total >= 0) {
        fail(`invalid ${type === 'read' ? 'read from' : 'write to'} stack R${regno} off=${total} size=${size}`);
      }
      if (type === 'write') stackWrite(f.slots, total, size, value!, valueRegno >= 0 ? 'reg' : imm ? 'imm' : 'unknown');
      else setResult(stackRead(f.slots, total, size, signed));
      return;
    }
    case 'ctx': {
      if (reg.off !== 0 || !varConst || reg.v.varOff.value !== 0n) {
        if (!varConst) fail(`variable ctx access var_off=${varOffString(reg)} disallowed`);
        fail(`dereference of modified ctx ptr R${regno} off=${reg.off} disallowed`);
      }
      const res = checkCtxAccess(ctx.progType, insnOff, size, type, ctx.attachType);
      if (!res.ok) fail(`invalid bpf_context access off=${insnOff} size=${size}`);
      if (type === 'write' && value && isPointer(value)) fail(`R${valueRegno} leaks addr into ctx`);
      if (type === 'read') {
        // __sk_buff.sk may be NULL: a sock_common_or_null with an id for its null check.
        if (res.pointer === 'sock') setResult(ptrReg('sock', { maybeNull: true, id: ++st.nextId }));
        else setResult(res.pointer ? ptrReg(res.pointer, { id: 0 }) : loaded(size, signed));
      }
      return;
    }
    case 'sock': case 'socket': {
      if (type === 'write') fail(`R${regno} cannot write into ${regTypeName(reg)}`);
      if (off < 0 || off + size > 80) fail(`R${regno} invalid sock_common access off=${off} size=${size}`);
      setResult(loaded(size, signed));
      return;
    }
    case 'pkt': case 'pkt_meta': {
      if (type === 'write' && !canWritePacket(ctx.progType)) fail('cannot write into packet');
      packetAccess(regno, reg, off, size);
      if (type === 'write' && value && isPointer(value)) fail(`R${valueRegno} leaks addr into packet`);
      setResult(loaded(size, signed));
      return;
    }
    case 'map_value': {
      const map = reg.map!;
      boundedAccess(regno, reg, off, size, map.valueSize,
        (o) => `invalid access to map value, value_size=${map.valueSize} off=${o} size=${size}`);
      // BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG: the map's side of the program is one-way.
      if (type === 'write' && (map.flags & 0x80) !== 0) fail(`write into map forbidden, value_size=${map.valueSize} off=${off} size=${size}`);
      if (type === 'read' && (map.flags & 0x100) !== 0) fail(`read from map forbidden, value_size=${map.valueSize} off=${off} size=${size}`);
      setResult(loaded(size, signed));
      return;
    }
    case 'mem': {
      const memSize = reg.memSize ?? 0;
      boundedAccess(regno, reg, off, size, memSize, (o) => `invalid access to memory, mem_size=${memSize} off=${o} size=${size}`);
      setResult(loaded(size, signed));
      return;
    }
    default:
      fail(`R${regno} invalid mem access '${regTypeName(reg)}'`);
  }
}

/**
 * check_mem_region_access(): the fixed offset `off` (register and instruction) plus the
 * variable part's bounds must keep [off, off + size) inside `limit` bytes. The kernel checks
 * the minimum, then the maximum, and names whichever fails (the detail line says where).
 */
export function boundedAccess(regno: number, reg: Reg, off: number, size: number, limit: number, msg: (off: number) => string): void {
  const smin = reg.v.smin, umax = reg.v.umax;
  const o = BigInt(off);
  if (smin < 0n && (smin === -(1n << 63n) || BigInt.asIntN(32, o + smin) !== o + smin || smin + o < 0n)) {
    fail(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  }
  const lo = smin + o;
  if (lo < 0n || lo + BigInt(size) > BigInt(limit)) fail(`R${regno} min value is outside of the allowed memory range`, [msg(Number(lo))]);
  if (umax >= 1n << 29n) fail(`R${regno} unbounded memory access, make sure to bounds check any such access`);
  const hi = umax + o;
  if (hi + BigInt(size) > BigInt(limit)) fail(`R${regno} max value is outside of the allowed memory range`, [msg(Number(hi))]);
}

/** check_packet_access(): the fixed offset against the range a bounds check proved. */
export function packetAccess(regno: number, reg: Reg, off: number, size: number): void {
  if (reg.v.smin < 0n) fail(`R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  if (off < 0 || off + size > reg.range || reg.v.umax > 0xffffn) {
    fail(`R${regno} offset is outside of the packet`, [
      `invalid access to packet, off=${off} size=${size}, R${regno}(id=${reg.id},off=${off},r=${reg.range})`,
    ]);
  }
}

function varOffString(reg: Reg): string {
  const h = (v: bigint) => (v === 0n ? '0x0' : `0x${v.toString(16)}`);
  return `(${h(reg.v.varOff.value)}; ${h(reg.v.varOff.mask)})`;
}

// --- the stack, 8-byte slots (slot k covers fp-8(k+1) .. fp-8k-1) -----------------------------

/** Byte `off` (negative) lives in slot (-off-1)/8, at index (-off-1)%8 of its types. */
export function slotOf(slots: StackSlot[], off: number): { slot: StackSlot; idx: number } {
  const b = -off - 1;
  const k = Math.floor(b / 8);
  // Fill every slot up to k: a sparse array would leave holes that other code reads.
  for (let j = 0; j <= k; j++) slots[j] ??= { types: Array(8).fill('invalid') };
  return { slot: slots[k], idx: b % 8 };
}

/**
 * A store to the stack (check_stack_write_fixed_off()): a register or an ST immediate spills
 * whole; a write of unknown bytes (an atomic's, whose value_regno is -1) makes them STACK_MISC.
 */
function stackWrite(slots: StackSlot[], off: number, size: number, value: Reg, from: 'reg' | 'imm' | 'unknown'): void {
  const fromReg = from === 'reg';
  const aligned8 = size === 8 && off % 8 === 0;
  if (aligned8 && from !== 'unknown' && (isPointer(value) || value.kind === 'scalar')) {
    const { slot } = slotOf(slots, off);
    slot.types.fill('spill');
    slot.spilled = { ...value };
    slot.spillSize = 8;
    return;
  }
  // A narrow spill of a scalar register at the start of a slot keeps its bounds (save_register_state()).
  const zeroConst = value.kind === 'scalar' && tnumIsConst(value.v.varOff) && value.v.varOff.value === 0n;
  if (fromReg && off % 8 === 0 && value.kind === 'scalar' && !zeroConst) {
    const { slot } = slotOf(slots, off);
    for (let k = 0; k < 8; k++) if (slot.types[k] === 'spill') slot.types[k] = 'misc';
    for (let k = 0; k < size; k++) slot.types[slotOf(slots, off + k).idx] = 'spill';
    slot.spilled = scalarReg(coerceRegToSize(value.v, size));
    slot.spillSize = size;
    return;
  }
  if (isPointer(value) && size === 8) {
    // A misaligned pointer spill: the kernel refuses it.
    fail(`misaligned stack access off ${off} size ${size}`);
  }
  const zero = value.kind === 'scalar' && tnumIsConst(value.v.varOff) && value.v.varOff.value === 0n;
  for (let k = 0; k < size; k++) {
    const { slot, idx } = slotOf(slots, off + k);
    if (slot.types.includes('spill')) { slot.types = slot.types.map((t) => (t === 'spill' ? 'misc' : t)); slot.spilled = undefined; }
    slot.types[idx] = zero ? 'zero' : 'misc';
  }
}

function stackRead(slots: StackSlot[], off: number, size: number, signed: boolean): Reg {
  const { slot: first } = slotOf(slots, off);
  if (size === 8 && off % 8 === 0 && first.types.every((t) => t === 'spill') && first.spilled) return { ...first.spilled };
  if (first.types.every((t) => t === 'spill') && first.spilled && isPointer(first.spilled)) fail('invalid size of register fill');
  if (off % 8 === 0 && first.spilled?.kind === 'scalar' && first.spillSize === size) return { ...first.spilled };
  let allZero = true;
  for (let k = 0; k < size; k++) {
    const { slot, idx } = slotOf(slots, off + k);
    const t = slot.types[idx];
    // Privileged programs may read stack bytes never written (allow_uninit_stack): they read as unknown.
    if (t !== 'zero') allZero = false;
    if (t === 'spill' && slot.spilled && isPointer(slot.spilled) && size !== 8) {
      // Part of a spilled pointer reads as an unknown scalar for privileged programs.
      allZero = false;
    }
  }
  if (allZero) return constReg(0n);
  const spilledScalar = first.spilled?.kind === 'scalar' && first.types.every((t) => t === 'spill') ? first.spilled : undefined;
  if (spilledScalar && off % 8 === 0 && size < 8) return scalarReg(signed ? coerceRegToSizeSx(spilledScalar.v, size) : coerceRegToSize(spilledScalar.v, size));
  return loaded(size, signed);
}

/** check_atomic(): an atomic read-modify-write on the stack or a map value. */
export function checkAtomic(ctx: Ctx, st: VState, pc: number, i: Insn): void {
  const size = ({ 0xdb: 8, 0xc3: 4, 0xcb: 2, 0xd3: 1 } as Record<number, number>)[i.code] ?? 4;
  // Load-acquire and store-release (Linux 6.15+): an ordered load into dst, or store of src.
  if (i.imm === 0x100) {
    readReg(st, i.src);
    checkMemAccess(ctx, st, pc, i.src, i.off, size, 'read', i.dst, false);
    return;
  }
  if (i.imm === 0x110) {
    readReg(st, i.src);
    checkMemAccess(ctx, st, pc, i.dst, i.off, size, 'write', i.src, false);
    return;
  }
  if (size < 4) fail('invalid atomic operand size');
  const ops = [0x00, 0x40, 0x50, 0xa0, 0x01, 0x41, 0x51, 0xa1, 0xe1, 0xf1];
  if (!ops.includes(i.imm)) fail(`BPF_ATOMIC uses invalid atomic opcode ${i.imm.toString(16).padStart(2, '0')}`);
  const src = readReg(st, i.src);
  const dst = readReg(st, i.dst);
  if (i.imm === 0xf1) readReg(st, 0);
  if (isPointer(src)) fail(`R${i.src} leaks addr into mem`);
  if (dst.kind === 'ctx' || isPktPointer(dst) || dst.kind === 'flow_keys' || dst.kind === 'sock') {
    fail(`BPF_ATOMIC stores into R${i.dst} ${regTypeName(dst)} is not allowed`);
  }
  // Atomics must be aligned to their size wherever they point (check_ptr_alignment(), strict).
  const at = dst.off + i.off + Number(BigInt.asIntN(64, dst.v.varOff.value));
  if (at % size !== 0) {
    const desc = dst.kind === 'stack' ? 'stack ' : dst.kind === 'map_value' ? 'value ' : '';
    fail(`misaligned ${desc}access off ${Number(BigInt.asIntN(64, dst.v.varOff.value))}+${dst.off}+${i.off} size ${size}`);
  }
  // Both a read and a write of the location.
  const f = curFrame(st);
  const keep = f.regs[i.src];
  checkMemAccess(ctx, st, pc, i.dst, i.off, size, 'read', i.src, false);
  f.regs[i.src] = keep;
  // The kernel writes with value_regno -1: what lands there is not known (cmpxchg may not store at all).
  checkMemAccess(ctx, st, pc, i.dst, i.off, size, 'write', -1, false);
  const old = scalarReg(size === 8 ? scalarUnknown() : coerceRegToSize(scalarUnknown(), 4));
  if (i.imm === 0xf1) f.regs[0] = old;
  else if (i.imm & 1) f.regs[i.src] = old;
}

export { scalarConst };
