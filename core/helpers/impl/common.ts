/**
 * What the helper implementations share: reading arguments out of registers, turning
 * addresses into memory, errno values as a helper returns them, and finding the run's
 * host and maps.
 *
 * Two kinds of failure, kept apart on purpose:
 * - What the kernel's helper itself checks at run time (a bad flag, a full map, an offset
 *   past the packet) is an errno or NULL in r0, exactly as the kernel returns it.
 * - What the verifier guarantees before the program may run (that r2 points at key_size
 *   readable bytes, that r1 holds a map, that a ringbuf record is unmodified) is not
 *   re-checked by the kernel; the VM runs programs the verifier would reject, so there it
 *   is a fault that stops the run and says which argument was wrong.
 *
 * Registers are read through `vm.lo`/`vm.hi` and `vm.arg(k)`, never beyond the helper's
 * prototype (test/helpers/table.test.ts checks this on every row).
 */

import type { HelperResult, Machine } from '../../vm/machine';
import type { Host, PacketState } from '../../vm/host';
import type { Region } from '../../vm/memory';
import type { BpfMap } from '../../maps/base';
import { errnoByName } from '../../kernel/errno';

/** A negative errno as the helper's 64-bit return (an `int` or `long` sign-extended to u64). */
export function errno(n: number): bigint {
  return BigInt.asUintN(64, BigInt(n));
}

/** A signed result (int or long) as the 64-bit register value. */
export function s64(n: number | bigint): bigint {
  return BigInt.asUintN(64, typeof n === 'bigint' ? n : BigInt(n));
}

// The codes helpers return that the maps' table (core/maps/uapi.ts) does not already name.
export const EFAULT = -errnoByName('EFAULT');
export const ERANGE = -errnoByName('ERANGE');
export const EACCES = -errnoByName('EACCES');
export { EINVAL, E2BIG, ENOENT, ENOMEM, EAGAIN, EOPNOTSUPP, ENOTSUPP } from '../../maps/uapi';

/** An address held as two int32 halves, as a 64-bit value. */
export function addrOf(a: { lo: number; hi: number }): bigint {
  return (BigInt(a.hi >>> 0) << 32n) | BigInt(a.lo >>> 0);
}

/** The halves of a 64-bit address. */
export function halves(v: bigint): { lo: number; hi: number } {
  return { lo: Number(v & 0xffffffffn) | 0, hi: Number((v >> 32n) & 0xffffffffn) | 0 };
}

/** Argument k as a u32 (the helper's parameter is u32, or its low half is what is used). */
export function argU32(vm: Machine, k: number): number {
  return vm.lo[k] >>> 0;
}

/** Argument k as an int (s32). */
export function argS32(vm: Machine, k: number): number {
  return vm.lo[k] | 0;
}

/** A fault that stops the run, naming the helper. */
export function fault(helper: string, message: string): { fault: string } {
  return { fault: `${helper}: ${message}` };
}

/** The run's host, or a fault for a bare machine (tests that run no host). */
export function hostOf(vm: Machine, helper: string): Host | { fault: string } {
  return vm.host ?? fault(helper, 'needs a run (the machine has no host)');
}

/** `len` bytes at the address in register k, or a fault naming the argument. */
export function argBytes(vm: Machine, helper: string, k: number, len: number, write: boolean): Uint8Array | { fault: string } {
  const b = vm.bytesAt(vm.lo[k], vm.hi[k], len, write);
  return typeof b === 'string' ? fault(helper, `R${k} ${write ? 'is not writable memory' : 'is not readable memory'} of ${len} bytes: ${b}`) : b;
}

/** The bytes at an address, or undefined when they are not all in one region (a probe that fails). */
export function tryBytes(vm: Machine, lo: number, hi: number, len: number): Uint8Array | undefined {
  const b = vm.bytesAt(lo, hi, len, false);
  return typeof b === 'string' ? undefined : b;
}

/** The map whose handle register k holds, or a fault. */
export function argMap(vm: Machine, host: Host, helper: string, k: number): BpfMap | { fault: string } {
  return host.mapAt(vm.lo[k], vm.hi[k]) ?? fault(helper, `R${k} does not hold a map (ARG_CONST_MAP_PTR)`);
}

/** The region and offset register k points at (one byte readable there), or a fault. */
export function argRegion(vm: Machine, helper: string, k: number, size = 1): { region: Region; off: number } | { fault: string } {
  const at = vm.resolve(vm.lo[k], vm.hi[k], size, false);
  return 'message' in at ? fault(helper, `R${k}: ${at.message}`) : at;
}

/**
 * The NUL-terminated string at an address, looked for in at most `max` bytes. Returns the
 * bytes before the NUL and whether the NUL was found, or undefined when the first byte is
 * unreadable. `complete` is false when the region ended, or `max` bytes passed, first.
 */
export function cString(vm: Machine, lo: number, hi: number, max: number): { bytes: Uint8Array; complete: boolean; readable: number } | undefined {
  const at = vm.resolve(lo, hi, 1, false);
  if ('message' in at) return undefined;
  const { region, off } = at;
  const readable = Math.min(region.highOff - off, max);
  const window = region.bytes.subarray(off, off + readable);
  const nul = window.indexOf(0);
  return nul >= 0 ? { bytes: window.subarray(0, nul), complete: true, readable } : { bytes: window, complete: false, readable };
}

/** The packet of the run, or a fault for program types without one. */
export function packetOf(host: Host, helper: string): PacketState | { fault: string } {
  return host.packet ?? fault(helper, `programs of type ${host.progType} have no packet`);
}

/** Keeps the packet region's accessible window equal to [data_meta, data_end) after a helper moved it. */
export function syncWindow(pkt: PacketState): void {
  pkt.region.lowOff = pkt.meta;
  pkt.region.highOff = pkt.end;
}

/** Program types whose packet starts at the network header (BPF_PROG_TEST_RUN pulls the Ethernet header). */
export const L3_PACKET_TYPES: ReadonlySet<string> = new Set(['socket_filter', 'cgroup_skb', 'lwt_in', 'lwt_out', 'lwt_xmit']);

/** Whether a value is a fault rather than a result. */
export function isFault(v: unknown): v is { fault: string } {
  return typeof v === 'object' && v !== null && 'fault' in v;
}

export type { HelperResult };

/**
 * The context struct register 1 points at, as a DataView over its bytes, for helpers that
 * change what the kernel keeps in the skb (hash, vlan tag, length). The helper writes the
 * bytes directly: the fields are read-only to the program, not to the kernel.
 */
export function ctxView(vm: Machine, helper: string): DataView | { fault: string } {
  const at = argRegion(vm, helper, 1);
  if (isFault(at)) return at;
  if (at.region.kind !== 'ctx' || at.off !== 0) return fault(helper, 'R1 is not the context (ARG_PTR_TO_CTX)');
  return at.region.view;
}
