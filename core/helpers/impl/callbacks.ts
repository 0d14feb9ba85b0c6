/**
 * Helpers that change the flow of the program: loop and for_each_map_elem, which call a
 * BPF function of the program back (kernel/bpf/bpf_iter.c, and the maps'
 * map_for_each_callback in arraymap.c and hashtab.c); tail_call (the BPF_TAIL_CALL
 * instruction the verifier makes of it, kernel/bpf/core.c); and spin_lock / spin_unlock
 * (kernel/bpf/helpers.c).
 *
 * Callbacks run through Machine.callback: a frame of their own, r1-r5 as the kernel passes
 * them, and the callback's r0 back. A callback that faults ends the run with its fault.
 *
 * for_each_map_elem visits array elements by index and hash elements in the map's order
 * (insertion order here, bucket order in the kernel), passing (map, &key, &value, ctx).
 * The key is a copy the callback may only read (PTR_TO_MAP_KEY); the value is the live
 * storage. Elements deleted by the callback before their turn are skipped, as the kernel's
 * bucket walk skips them. Departure: visiting an lru_hash element here makes it the most
 * recently used (the lookup the walk uses touches it); the kernel's walk does not.
 *
 * tail_call follows the interpreter: an index at or past max_entries, an empty slot, or the
 * 33rd call made (MAX_TAIL_CALL_CNT) falls through to the next instruction with r0 as it
 * was. Departure: the kernel counts a tail call through an empty slot towards the limit;
 * Machine.tailCall counts only the calls that jump.
 *
 * spin_lock / spin_unlock have nothing to lock in a single-threaded run; they keep the lock
 * word as the kernel's qspinlock does (1 held, 0 free) and fault where the kernel would
 * deadlock (locking a held lock) or the verifier refuses (unlocking a free one, a lock
 * outside a map value).
 */

import type { HelperImpl, Machine } from '../../vm/machine';
import type { BpfMap } from '../../maps/base';
import { u32Bytes } from '../../maps/base';
import { valueAddress } from './maps';
import { E2BIG, EINVAL, addrOf, argMap, argRegion, argU32, errno, fault, hostOf, isFault } from './common';

/** BPF_MAX_LOOPS: bpf_loop() refuses more iterations (-E2BIG). */
export const BPF_MAX_LOOPS = 1 << 23;

/** The map types with a map_for_each_callback. */
const FOR_EACH_TYPES = new Set(['array', 'percpu_array', 'hash', 'percpu_hash', 'lru_hash', 'lru_percpu_hash']);

/**
 * bpf_loop(nr_loops, callback_fn, callback_ctx, flags): calls callback_fn(i, ctx) for i
 * from 0; a nonzero return stops the loop. Returns the number of calls made.
 */
export const loop: HelperImpl = (vm) => {
  const nr = argU32(vm, 1);
  const fnLo = vm.lo[2], fnHi = vm.hi[2];
  const ctx = vm.arg(3);
  if (vm.arg(4) !== 0n) return errno(EINVAL);
  if (nr > BPF_MAX_LOOPS) return errno(E2BIG);
  for (let i = 0; i < nr; i++) {
    const r = vm.callback(fnLo, fnHi, [BigInt(i), ctx, 0n, 0n, 0n]);
    if (isFault(r)) return fault('loop', r.fault);
    if (r !== 0n) return BigInt(i + 1);
  }
  return BigInt(nr);
};

/**
 * bpf_for_each_map_elem(map, callback_fn, callback_ctx, flags): calls
 * callback_fn(map, &key, &value, ctx) for each element until one returns nonzero. Returns
 * the number of elements visited (the stopping one included); flags must be 0.
 */
export const forEachMapElem: HelperImpl = (vm) => {
  const host = hostOf(vm, 'for_each_map_elem');
  if (isFault(host)) return host;
  const map = argMap(vm, host, 'for_each_map_elem', 1);
  if (isFault(map)) return map;
  if (!FOR_EACH_TYPES.has(map.spec.name)) return fault('for_each_map_elem', `map ${map.name} (${map.spec.name}) cannot be walked with a callback`);
  const mapHandle = vm.arg(1);
  const fnLo = vm.lo[2], fnHi = vm.hi[2];
  const ctx = vm.arg(3);
  if (vm.arg(4) !== 0n) return errno(EINVAL);
  let visited = 0;
  for (const key of keysOf(map)) {
    const value = map.lookup(key, host.env.cpu);
    if (!value) continue;
    visited++;
    const keyAddr = host.addressOf(key, `map_key(${map.name})`, 'helper', false);
    const r = vm.callback(fnLo, fnHi, [mapHandle, addrOf(keyAddr), addrOf(valueAddress(host, map, value)), ctx, 0n]);
    host.release(key);
    if (isFault(r)) return fault('for_each_map_elem', r.fault);
    if (r !== 0n) break;
  }
  return BigInt(visited);
};

/**
 * bpf_tail_call(ctx, prog_array, index): jumps to the program in the slot and does not
 * return; otherwise execution goes on after the call with r0 unchanged (RET_VOID).
 */
export const tailCall: HelperImpl = (vm) => {
  const host = hostOf(vm, 'tail_call');
  if (isFault(host)) return host;
  void vm.lo[1]; // ctx: r1 is kept for the next program as it is
  const map = argMap(vm, host, 'tail_call', 2);
  if (isFault(map)) return map;
  if (map.spec.name !== 'prog_array') return fault('tail_call', `map ${map.name} is a ${map.spec.name}, not a prog_array`);
  const index = argU32(vm, 3);
  const r0 = vm.reg(0);
  if (index >= map.maxEntries) return r0;
  vm.tailCall(host.tailCallTarget(map, index));
  return r0;
};

/** bpf_spin_lock(lock). */
export const spinLock: HelperImpl = (vm) => lockWord(vm, 'spin_lock', true);

/** bpf_spin_unlock(lock). */
export const spinUnlock: HelperImpl = (vm) => lockWord(vm, 'spin_unlock', false);

function lockWord(vm: Machine, helper: string, lock: boolean): bigint | { fault: string } {
  const at = argRegion(vm, helper, 1, 4);
  if (isFault(at)) return at;
  const { region, off } = at;
  if (region.kind !== 'map_value') return fault(helper, `R1 points into ${region.name}; a bpf_spin_lock lives in a map value`);
  if (off % 4 !== 0) return fault(helper, `R1 is not 4-byte aligned (offset ${off} in ${region.name})`);
  const held = region.view.getUint32(off, true) !== 0;
  if (lock && held) return fault(helper, `the lock at offset ${off} of ${region.name} is already held: the program would deadlock`);
  if (!lock && !held) return fault(helper, `the lock at offset ${off} of ${region.name} is not held`);
  region.view.setUint32(off, lock ? 1 : 0, true);
  return 0n;
}

/** Keys in the order the kernel's walk would visit them (arrays by index; hashes in the map's order). */
function* keysOf(map: BpfMap): Generator<Uint8Array> {
  if (map.spec.name === 'array' || map.spec.name === 'percpu_array') {
    for (let k = 0; k < map.maxEntries; k++) yield u32Bytes(k);
    return;
  }
  for (const e of map.entries()) yield (e.key as Uint8Array).slice();
}
