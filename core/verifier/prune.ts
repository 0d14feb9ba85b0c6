/**
 * State pruning: whether a state already verified at an instruction covers the current one,
 * so that every path from the current state is known safe (the kernel's states_equal(),
 * regsafe(), stacksafe(), refsafe()).
 *
 * Registers and stack bytes that no path onward reads (liveness.ts) are not compared, as
 * the kernel ignores them: for the frame that runs the instruction, what is live before it;
 * for each caller, what is live before its call (so its r1-r5 count, and its stack too when
 * the callee may reach it). The kernel also skips scalars that no decision depended on
 * (precision marks); we compare every live value instead: sound, but it prunes less, so our
 * count of processed instructions may exceed the kernel's.
 */

import { scalarRangeWithin } from './scalar';
import { tnumIn } from './tnum';
import { Frame, Reg, StackSlot, VState } from './state';
import { LiveSet, regLive } from './liveness';

/** What is live in frame `k` of the states compared (0 the outermost). */
export type FramesLive = (k: number) => LiveSet;

/** Without `live`, every register and slot is compared. */
export function statesCovered(old: VState, cur: VState, live?: FramesLive): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  if (old.refs.length !== cur.refs.length) return false;
  for (let k = 0; k < old.frames.length; k++) {
    if (!frameCovered(old.frames[k], cur.frames[k], live?.(k))) return false;
  }
  return true;
}

function frameCovered(old: Frame, cur: Frame, live: LiveSet | undefined): boolean {
  if (old.callsite !== cur.callsite) return false;
  for (let r = 0; r < 11; r++) {
    if (live && !regLive(live, r)) continue;
    if (!regCovered(old.regs[r], cur.regs[r])) return false;
  }
  for (let k = 0; k < old.slots.length; k++) {
    // Slot k holds fp-8k-1 .. fp-8k-8: bits 8k .. 8k+7, in the order of its types.
    const mask = live ? (live.stack[k >> 2] >>> ((k & 3) * 8)) & 0xff : 0xff;
    if (!slotCovered(old.slots[k], cur.slots[k], mask)) return false;
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

/** `liveMask`: bit b set when byte b of the slot (types[b]) may be read. */
function slotCovered(old: StackSlot | undefined, cur: StackSlot | undefined, liveMask: number): boolean {
  if (!old || old === cur || liveMask === 0) return true; // a slot never touched on the old path (a hole in the array) asks nothing
  let spillRead = false;
  for (let b = 0; b < 8; b++) {
    if (!(liveMask & (1 << b))) continue;
    const o = old.types[b];
    if (o === 'invalid') continue;
    const c = cur?.types[b] ?? 'invalid';
    if (o === 'misc' && (c === 'misc' || c === 'zero')) continue;
    if (o === 'zero' && c === 'zero') continue;
    if (o === 'spill' && c === 'spill') { spillRead = true; continue; }
    return false;
  }
  if (old.spilled && spillRead) {
    if (!cur?.spilled) return false;
    return regCovered(old.spilled, cur.spilled);
  }
  return true;
}
