/**
 * State pruning: whether a state already verified at an instruction covers the current one,
 * so that every path from the current state is known safe (the kernel's states_equal(),
 * regsafe(), stacksafe(), refsafe()).
 *
 * The kernel also uses liveness and precision marks, which let it ignore registers no later
 * instruction reads and scalar values that no decision depended on. We compare every
 * register and slot instead: sound, but it prunes less, so our count of processed
 * instructions may exceed the kernel's.
 */

import { scalarRangeWithin } from './scalar';
import { tnumIn } from './tnum';
import { Frame, Reg, StackSlot, VState } from './state';

export function statesCovered(old: VState, cur: VState): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  if (old.refs.length !== cur.refs.length) return false;
  for (let k = 0; k < old.frames.length; k++) {
    if (!frameCovered(old.frames[k], cur.frames[k])) return false;
  }
  return true;
}

function frameCovered(old: Frame, cur: Frame): boolean {
  if (old.callsite !== cur.callsite) return false;
  for (let r = 0; r < 11; r++) if (!regCovered(old.regs[r], cur.regs[r])) return false;
  for (let k = 0; k < old.slots.length; k++) {
    if (!slotCovered(old.slots[k], cur.slots[k])) return false;
  }
  return true;
}

export function regCovered(old: Reg, cur: Reg): boolean {
  // States share unchanged registers and slots with the checkpoints they were cloned from.
  if (old === cur || old.kind === 'not_init') return true;
  if (old.kind !== cur.kind || old.maybeNull !== cur.maybeNull) return false;
  if (old.kind === 'scalar') return scalarRangeWithin(old.v, cur.v) && tnumIn(old.v.varOff, cur.v.varOff);
  if (old.off !== cur.off || old.map !== cur.map || old.frameno !== cur.frameno || old.memSize !== cur.memSize) return false;
  if (old.ringbuf !== cur.ringbuf || (old.refObjId === 0) !== (cur.refObjId === 0)) return false;
  if ((old.id === 0) !== (cur.id === 0)) return false;
  // A packet pointer is covered when the current one has proven at least the old range.
  if ((old.kind === 'pkt' || old.kind === 'pkt_meta') && old.range > cur.range) return false;
  return scalarRangeWithin(old.v, cur.v) && tnumIn(old.v.varOff, cur.v.varOff);
}

function slotCovered(old: StackSlot | undefined, cur: StackSlot | undefined): boolean {
  if (!old || old === cur) return true; // a slot never touched on the old path (a hole in the array) asks nothing
  for (let b = 0; b < 8; b++) {
    const o = old.types[b];
    if (o === 'invalid') continue;
    const c = cur?.types[b] ?? 'invalid';
    if (o === 'misc' && (c === 'misc' || c === 'zero')) continue;
    if (o === 'zero' && c === 'zero') continue;
    if (o === 'spill' && c === 'spill') continue;
    return false;
  }
  if (old.spilled && old.types.includes('spill')) {
    if (!cur?.spilled) return false;
    return regCovered(old.spilled, cur.spilled);
  }
  return true;
}
