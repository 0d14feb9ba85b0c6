/**
 * The verifier's abstract state, as the Linux verifier keeps it: per frame, eleven registers
 * and the stack in 8-byte slots; per path, the frames and the acquired references.
 *
 * A register is NOT_INIT, a scalar (its Scalar bounds), or a pointer: a kind, a fixed
 * offset `off`, a variable offset (the Scalar `v`, constant 0 unless arithmetic moved it),
 * an `id` shared by copies (null checks and packet ranges follow it), the range proven for
 * packet pointers, and the map or memory size it points into. States are copied on
 * branches (clone) and never shared between paths.
 */

import { MapDef } from '../object';
import { Scalar, scalarConst, scalarString, scalarUnknown } from './scalar';
import { tnumIsConst } from './tnum';

export type RegKind =
  | 'not_init' | 'scalar' | 'ctx' | 'map_ptr' | 'map_value' | 'map_key' | 'stack'
  | 'pkt' | 'pkt_meta' | 'pkt_end' | 'mem' | 'func' | 'sock' | 'socket' | 'flow_keys';

export interface Reg {
  kind: RegKind;
  /** PTR_MAYBE_NULL: map_value_or_null, ringbuf_mem_or_null, sock_or_null... */
  maybeNull: boolean;
  /** MEM_RINGBUF: memory from bpf_ringbuf_reserve. */
  ringbuf?: boolean;
  rdonly?: boolean;
  /** Fixed offset of a pointer. */
  off: number;
  /** Scalars: the value. Pointers: the variable part of the offset. */
  v: Scalar;
  id: number;
  refObjId: number;
  /** Packet pointers: bytes proven readable from the pointer (off included). */
  range: number;
  map?: MapDef;
  memSize?: number;
  /** Stack pointers: the frame they point into. */
  frameno?: number;
  /** A map-in-map lookup's result: a map pointer once null-checked. */
  innerMap?: boolean;
  /** func pointers: the subprogram's first slot. */
  subprog?: number;
  precise?: boolean;
}

export type SlotType = 'invalid' | 'misc' | 'zero' | 'spill';

export interface StackSlot {
  types: SlotType[];
  /** The register spilled here (whole 8 bytes, or a narrower scalar spill). */
  spilled?: Reg;
  /** Bytes the spill covers from the slot's start (8, or 1/2/4 for a narrow scalar spill). */
  spillSize?: number;
}

export interface Frame {
  regs: Reg[];
  /** slots[k] covers fp-8(k+1) .. fp-8k-1. */
  slots: StackSlot[];
  callsite: number;
  subprog: number;
  frameno: number;
}

export interface VState {
  frames: Frame[];
  refs: { id: number; insn: number }[];
  /** Ids handed out on this path (map lookups, packet pointers, references). */
  nextId: number;
  /** may_goto instructions passed on this path: states that differ only here are not a loop. */
  mayGotoDepth?: number;
}

export const NOT_INIT: Reg = { kind: 'not_init', maybeNull: false, off: 0, v: scalarUnknown(), id: 0, refObjId: 0, range: 0 };

export function scalarReg(v: Scalar = scalarUnknown()): Reg {
  return { ...NOT_INIT, kind: 'scalar', v };
}

export function constReg(value: bigint): Reg {
  return scalarReg(scalarConst(value));
}

export function ptrReg(kind: RegKind, extra: Partial<Reg> = {}): Reg {
  return { ...NOT_INIT, kind, v: scalarConst(0n), ...extra };
}

export function newFrame(frameno: number, callsite: number, subprog: number): Frame {
  const regs = Array.from({ length: 11 }, () => NOT_INIT);
  regs[10] = ptrReg('stack', { frameno });
  return { regs, slots: [], callsite, subprog, frameno };
}

export function cloneState(s: VState): VState {
  return {
    frames: s.frames.map((f) => ({
      ...f,
      regs: f.regs.slice(),
      slots: f.slots.map((sl) => ({ types: sl.types.slice(), spilled: sl.spilled, spillSize: sl.spillSize })),
    })),
    refs: s.refs.slice(),
    nextId: s.nextId,
    mayGotoDepth: s.mayGotoDepth,
  };
}

export function curFrame(s: VState): Frame {
  return s.frames[s.frames.length - 1];
}

export function isPointer(r: Reg): boolean {
  return r.kind !== 'scalar' && r.kind !== 'not_init';
}

export function isPktPointer(r: Reg): boolean {
  return r.kind === 'pkt' || r.kind === 'pkt_meta';
}

// --- printing in the kernel's log notation (kernel/bpf/log.c, print_reg_state()) -------------

const KIND_NAMES: Record<RegKind, string> = {
  not_init: '?', scalar: 'scalar', ctx: 'ctx', map_ptr: 'map_ptr', map_value: 'map_value', map_key: 'map_key',
  stack: 'fp', pkt: 'pkt', pkt_meta: 'pkt_meta', pkt_end: 'pkt_end', mem: 'mem', func: 'func', sock: 'sock_common', socket: 'sock', flow_keys: 'flow_keys',
};

/** The type name the kernel prints in messages such as `R0 invalid mem access 'map_value_or_null'`. */
export function regTypeName(r: Reg): string {
  if (r.kind === 'not_init') return '?';
  let name = KIND_NAMES[r.kind];
  if (r.kind === 'mem' && r.ringbuf) name = 'ringbuf_mem';
  if (r.rdonly) name = `rdonly_${name}`;
  return r.maybeNull ? `${name}_or_null` : name;
}

/** `R2=pkt(off=14,r=34)`, `R10=fp0`, `R1=ctx()`, `R0=map_value(map=counters,ks=4,vs=8)`. */
export function regString(r: Reg): string {
  if (r.kind === 'scalar') return scalarString(r.v, { precise: r.precise, id: r.id || undefined });
  if (r.kind === 'stack' && tnumIsConst(r.v.varOff) && r.v.varOff.value === 0n) return `fp${r.off}`;
  const parts: string[] = [];
  if (r.id) parts.push(`id=${r.id}`);
  if (r.refObjId) parts.push(`ref_obj_id=${r.refObjId}`);
  if (r.kind !== 'stack' && r.off) parts.push(`off=${r.off}`);
  if (isPktPointer(r)) parts.push(`r=${r.range}`);
  if ((r.kind === 'map_ptr' || r.kind === 'map_value') && r.map) parts.push(`map=${r.map.name}`, `ks=${r.map.keySize}`, `vs=${r.map.valueSize}`);
  if (r.kind === 'mem' && r.memSize !== undefined) parts.push(`sz=${r.memSize}`);
  if (!(tnumIsConst(r.v.varOff) && r.v.varOff.value === 0n)) {
    const inner = scalarString(r.v);
    parts.push(inner.startsWith('scalar(') ? inner.slice(7, -1) : `imm=${inner}`);
  }
  return `${regTypeName(r)}(${parts.join(',')})`;
}

/** One frame's live registers, as the log's state lines show them: `R1=ctx() R10=fp0`. */
export function frameString(f: Frame): string {
  const regs = f.regs.map((r, k) => (r.kind === 'not_init' ? '' : `R${k}=${regString(r)}`)).filter(Boolean);
  const slots = f.slots.map((sl, k) => {
    if (sl.types.every((t) => t === 'invalid')) return '';
    const name = `fp${-8 * (k + 1)}`;
    if (sl.types.every((t) => t === 'spill') && sl.spilled) return `${name}=${regString(sl.spilled)}`;
    return `${name}=${sl.types.map((t) => (t === 'misc' ? 'm' : t === 'zero' ? '0' : t === 'spill' ? 'r' : '?')).join('')}`;
  }).filter(Boolean);
  return [...regs, ...slots].join(' ');
}
