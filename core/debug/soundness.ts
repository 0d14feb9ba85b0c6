/**
 * The verifier's abstract value of a register or stack slot beside the value a run holds
 * there, and whether the run's value lies outside it. It never should: the verifier's state
 * at an instruction is a promise about every run that gets there, so a value outside it is a
 * verifier soundness bug (or a VM bug). The debugger's Verifier scope flags such values, and
 * test/debug/soundness.test.ts runs whole corpora with the check on.
 *
 * A pointer is checked by where it points (the kind of memory, and the offset from the base
 * the verifier counts from: the packet's data, the frame pointer, the start of a context or
 * a map value); a scalar by every bound the verifier keeps (unsigned and signed, 64 and 32
 * bits, and the known bits).
 *
 * A value no path onward reads (dead, by the verifier's liveness) is shown but not checked:
 * pruning ignores dead values, so the states of the paths it cut short never joined them.
 */

import { Reg, regString } from '../verifier/state';
import { JoinedSlot } from '../verifier/verify';
import { LiveSet, regLive, stackByteLive } from '../verifier/liveness';
import { Machine } from '../vm/machine';
import { Memory, Region, RegionKind } from '../vm/memory';
import { PacketState } from '../vm/host';

/** Where a run's pointer points: the kind of memory, and the offset from its base, in the verifier's terms. */
export interface ConcretePointer {
  region: RegionKind;
  off: number;
  /** A packet pointer that equals data_end (the verifier's pkt_end). */
  atPacketEnd?: boolean;
}

/** The pointer a 64-bit value is in a run, or undefined for a plain number. */
export function concretePointer(value: bigint, memory: Memory, packet?: PacketState): ConcretePointer | undefined {
  const found = memory.locate(value);
  if (!found) return undefined;
  const { region, off: at } = found;
  switch (region.kind) {
    case 'packet': {
      const data = packet?.region === region ? packet.data : region.lowOff;
      return { region: 'packet', off: at - data, atPacketEnd: packet?.region === region && at === packet.end };
    }
    // The verifier counts stack offsets from the frame pointer, one past the frame's top byte.
    case 'stack': return { region: 'stack', off: at - region.bytes.length };
    default: return { region: region.kind, off: at };
  }
}

/** The memory each pointer kind of the verifier lies in. */
const POINTER_REGIONS: Partial<Record<Reg['kind'], readonly RegionKind[]>> = {
  ctx: ['ctx'],
  stack: ['stack'],
  pkt: ['packet'],
  pkt_meta: ['packet'],
  map_value: ['map_value', 'rodata'],
  mem: ['ringbuf', 'mem', 'helper'],
};

/**
 * Why the run's value is outside the verifier's, or undefined when it is inside (or when the
 * verifier's value says nothing to check: not initialised, or a kind the VM has no memory for).
 */
export function outsideAbstract(abstract: Reg, value: bigint, pointer: ConcretePointer | undefined): string | undefined {
  const v = BigInt.asUintN(64, value);
  if (abstract.kind === 'not_init') return undefined;
  if (abstract.kind === 'scalar') {
    // A pointer the program turned into a number (privileged programs may): its address is not the verifier's concern.
    if (pointer) return undefined;
    return scalarOutside(abstract, v);
  }
  if (abstract.maybeNull && v === 0n) return undefined;
  if (abstract.kind === 'pkt_end') {
    return pointer?.region === 'packet' && pointer.atPacketEnd ? undefined : `the verifier has data_end here, the run ${describe(pointer, v)}`;
  }
  const regions = POINTER_REGIONS[abstract.kind];
  if (!regions) return undefined;
  if (!pointer || !regions.includes(pointer.region)) return `the verifier has a ${abstract.kind} pointer here, the run ${describe(pointer, v)}`;
  // pkt_meta counts from data_meta, which the run's description does not track: the kind is what is checked.
  if (abstract.kind === 'pkt_meta') return undefined;
  const lo = BigInt(abstract.off) + abstract.v.smin, hi = BigInt(abstract.off) + abstract.v.smax;
  const off = BigInt(pointer.off);
  if (off < lo || off > hi) return `offset ${off} is outside the verifier's ${lo === hi ? `${lo}` : `[${lo}, ${hi}]`}`;
  return undefined;
}

function describe(p: ConcretePointer | undefined, v: bigint): string {
  return p ? `points into ${p.region} at ${p.off}` : `holds the number 0x${v.toString(16)}`;
}

function scalarOutside(r: Reg, v: bigint): string | undefined {
  const s = r.v;
  const sv = BigInt.asIntN(64, v), v32 = v & 0xffffffffn, sv32 = BigInt.asIntN(32, v32);
  if (v < s.umin || v > s.umax) return `${v} is outside the verifier's unsigned range [${s.umin}, ${s.umax}]`;
  if (sv < s.smin || sv > s.smax) return `${sv} is outside the verifier's signed range [${s.smin}, ${s.smax}]`;
  if (v32 < s.u32min || v32 > s.u32max) return `the low 32 bits ${v32} are outside the verifier's [${s.u32min}, ${s.u32max}]`;
  if (sv32 < s.s32min || sv32 > s.s32max) return `the low 32 bits ${sv32} (signed) are outside the verifier's [${s.s32min}, ${s.s32max}]`;
  if ((v & ~s.varOff.mask & 0xffffffffffffffffn) !== s.varOff.value) {
    return `0x${v.toString(16)} disagrees with the bits the verifier knows (value 0x${s.varOff.value.toString(16)}, mask 0x${s.varOff.mask.toString(16)})`;
  }
  return undefined;
}

/** What the debugger's Verifier scope shows per register or stack slot. */
export interface SideBySide {
  name: string;
  /** The verifier's state, in the kernel's notation. */
  verifier: string;
  /** The run's value now. */
  run: string;
  /** Why the run's value lies outside the verifier's (a soundness bug), when it does. */
  outside?: string;
  /** No path onward reads the value: the verifier's state need not hold it, and it is not checked. */
  dead?: boolean;
}

export interface VerifierView {
  accepted: boolean;
  strings: (string | undefined)[] | undefined;
  regs: readonly Reg[] | undefined;
  slots: ReadonlyMap<number, JoinedSlot> | undefined;
  /** What is live before the instruction; absent: everything counts as live. */
  live?: LiveSet;
}

/**
 * The rows of the Verifier scope at the machine's instruction: each register and stack slot
 * the verifier knows, beside the run's value. Values are checked only for accepted programs:
 * a rejected program's states cover only the paths the verifier walked before its error.
 */
export function sideBySide(view: VerifierView, vm: Machine, packet: PacketState | undefined, stack: Region): SideBySide[] {
  const rows: SideBySide[] = [];
  const check = view.accepted;
  for (let n = 0; n <= 10; n++) {
    const text = view.strings?.[n];
    const abstract = view.regs?.[n];
    if (!text || !abstract) continue;
    const value = vm.reg(n);
    const pointer = concretePointer(value, vm.memory, packet);
    if (view.live && !regLive(view.live, n)) { rows.push(deadRow(`R${n}`, text, runText(value, pointer))); continue; }
    rows.push({ name: `R${n}`, verifier: text, run: runText(value, pointer), outside: check ? outsideAbstract(abstract, value, pointer) : undefined });
  }
  const top = stack.bytes.length;
  for (const [k, slot] of [...(view.slots ?? new Map<number, JoinedSlot>())].sort((a, b) => a[0] - b[0])) {
    const at = top - 8 * (k + 1);
    if (at < 0) continue;
    const bytes = stack.bytes.subarray(at, at + 8);
    let value = 0n;
    for (let j = 7; j >= 0; j--) value = (value << 8n) | BigInt(bytes[j]);
    const name = `fp${-8 * (k + 1)}`;
    // Checked only when every byte the state speaks of is live (byte j of the types is fp-8k-j-1).
    const spoken = 'spilled' in slot ? [0, 1, 2, 3, 4, 5, 6, 7] : [...slot.types].flatMap((t, j) => (t === '?' ? [] : [j]));
    if (view.live && !spoken.every((j) => stackByteLive(view.live!, -8 * k - j - 1))) {
      rows.push(deadRow(name, 'spilled' in slot ? regString(slot.spilled) : slot.types, `0x${value.toString(16).padStart(16, '0')}`));
      continue;
    }
    if ('spilled' in slot) {
      const pointer = concretePointer(value, vm.memory, packet);
      rows.push({ name, verifier: regString(slot.spilled), run: runText(value, pointer), outside: check ? outsideAbstract(slot.spilled, value, pointer) : undefined });
    } else {
      // Byte types as the log prints them, the slot's highest address first (the kernel's
      // slot_type[(-off - 1) % 8]): 'm' any data, '0' known zero, '?' not written.
      const zeroBad = [...slot.types].findIndex((t, j) => t === '0' && bytes[7 - j] !== 0);
      rows.push({
        name, verifier: slot.types, run: `0x${value.toString(16).padStart(16, '0')}`,
        outside: check && zeroBad >= 0 ? `byte fp${-8 * k - 1 - zeroBad} is ${bytes[7 - zeroBad]}, where the verifier knows 0` : undefined,
      });
    }
  }
  return rows;
}

function deadRow(name: string, verifier: string, run: string): SideBySide {
  return { name, verifier: `${verifier} (dead)`, run, dead: true };
}

function runText(value: bigint, pointer: ConcretePointer | undefined): string {
  const v = BigInt.asUintN(64, value);
  if (pointer) return `${pointer.region}${pointer.atPacketEnd ? ' (data_end)' : ''} ${pointer.off >= 0 ? '+' : ''}${pointer.off}`;
  const s = BigInt.asIntN(64, v);
  return `0x${v.toString(16)} (${s < 0n ? s : v})`;
}
