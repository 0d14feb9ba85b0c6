/**
 * The map helpers: map_lookup_elem, map_update_elem, map_delete_elem, map_push_elem,
 * map_pop_elem, map_peek_elem and map_lookup_percpu_elem (kernel/bpf/helpers.c).
 *
 * Each is the kernel's one-line forward to the map's operation; the behaviour (flags,
 * errno, LRU, per-CPU copies) lives in core/maps, which mirrors each map type's ops. What
 * is here is the VM side: reading the key and value out of program memory (key_size and
 * value_size bytes, which the verifier guarantees are readable), running on the run's CPU
 * (env.cpu) for per-CPU maps, and turning the live value storage a lookup returns into an
 * address the program can load from and store to (Host.addressOf).
 *
 * A lookup in array_of_maps or hash_of_maps gives the inner map itself, as the kernel's
 * does (the verifier then treats R0 as a map pointer); that needs the inner map's handle
 * from the host (Host.mapHandle).
 */

import type { HelperImpl, Machine } from '../../vm/machine';
import type { Host } from '../../vm/host';
import type { BpfMap } from '../../maps/base';
import { F_RDONLY_PROG } from '../../maps/uapi';
import { addrOf, argBytes, argMap, argU32, errno, fault, hostOf, isFault } from './common';

/** bpf_map_lookup_elem(map, key): a pointer to the live value, or NULL. */
export const mapLookupElem: HelperImpl = (vm) => {
  const c = mapAndKey(vm, 'map_lookup_elem');
  if (isFault(c)) return c;
  return lookupResult(vm, c.host, c.map, c.key, c.host.env.cpu, 'map_lookup_elem');
};

/** bpf_map_update_elem(map, key, value, flags): 0 or the map's negative errno. */
export const mapUpdateElem: HelperImpl = (vm) => {
  const c = mapAndKey(vm, 'map_update_elem');
  if (isFault(c)) return c;
  const value = argBytes(vm, 'map_update_elem', 3, c.map.def.valueSize, false);
  if (isFault(value)) return value;
  return errno(c.map.update(c.key, value.slice(), vm.arg(4), c.host.env.cpu));
};

/** bpf_map_delete_elem(map, key). */
export const mapDeleteElem: HelperImpl = (vm) => {
  const c = mapAndKey(vm, 'map_delete_elem');
  if (isFault(c)) return c;
  return errno(c.map.delete(c.key));
};

/** bpf_map_push_elem(map, value, flags): queue, stack (and bloom_filter in the kernel). */
export const mapPushElem: HelperImpl = (vm) => {
  const c = mapOnly(vm, 'map_push_elem');
  if (isFault(c)) return c;
  const value = argBytes(vm, 'map_push_elem', 2, c.map.def.valueSize, false);
  if (isFault(value)) return value;
  return errno(c.map.push(value.slice(), vm.arg(3)));
};

/** bpf_map_pop_elem(map, value): copies the value out and removes it; on error the buffer is zeroed. */
export const mapPopElem: HelperImpl = (vm) => popOrPeek(vm, 'map_pop_elem', true);

/** bpf_map_peek_elem(map, value): copies the value out and keeps it. */
export const mapPeekElem: HelperImpl = (vm) => popOrPeek(vm, 'map_peek_elem', false);

/**
 * bpf_map_lookup_percpu_elem(map, key, cpu): another CPU's copy in a per-CPU map, or NULL
 * for a CPU at or past the CPU count (map_lookup_percpu_elem of the per-CPU types).
 */
export const mapLookupPercpuElem: HelperImpl = (vm) => {
  const c = mapAndKey(vm, 'map_lookup_percpu_elem');
  if (isFault(c)) return c;
  if (!c.map.spec.perCpu) return fault('map_lookup_percpu_elem', `map ${c.map.name} (${c.map.spec.name}) is not a per-CPU map`);
  const cpu = argU32(vm, 3);
  if (cpu >= c.map.nCpus) return 0n;
  return lookupResult(vm, c.host, c.map, c.key, cpu, 'map_lookup_percpu_elem');
};

function mapOnly(vm: Machine, helper: string): { host: Host; map: BpfMap } | { fault: string } {
  const host = hostOf(vm, helper);
  if (isFault(host)) return host;
  const map = argMap(vm, host, helper, 1);
  return isFault(map) ? map : { host, map };
}

function mapAndKey(vm: Machine, helper: string): { host: Host; map: BpfMap; key: Uint8Array } | { fault: string } {
  const c = mapOnly(vm, helper);
  if (isFault(c)) return c;
  if (c.map.spec.keyless) return fault(helper, `map ${c.map.name} (${c.map.spec.name}) has no keys`);
  const key = argBytes(vm, helper, 2, c.map.def.keySize, false);
  return isFault(key) ? key : { ...c, key: key.slice() };
}

function lookupResult(vm: Machine, host: Host, map: BpfMap, key: Uint8Array, cpu: number, helper: string): bigint | { fault: string } {
  if (map.spec.mapInMap) {
    const inner = map.lookupMap(key);
    if (!inner) return 0n;
    if (!host.mapHandle) return fault(helper, 'a map-in-map lookup needs the host to give map handles (Host.mapHandle)');
    return addrOf(host.mapHandle(inner));
  }
  const value = map.lookup(key, cpu);
  if (!value) return 0n;
  return addrOf(valueAddress(host, map, value));
}

/** The address of a live map value; read-only for programs when the map has BPF_F_RDONLY_PROG. */
export function valueAddress(host: Host, map: BpfMap, value: Uint8Array): { lo: number; hi: number } {
  return host.addressOf(value, `map_value(${map.name})`, 'map_value', (map.def.flags & F_RDONLY_PROG) === 0);
}

function popOrPeek(vm: Machine, helper: string, pop: boolean): bigint | { fault: string } {
  const c = mapOnly(vm, helper);
  if (isFault(c)) return c;
  const dst = argBytes(vm, helper, 2, c.map.def.valueSize, true);
  if (isFault(dst)) return dst;
  return errno(pop ? c.map.pop(dst) : c.map.peek(dst));
}
