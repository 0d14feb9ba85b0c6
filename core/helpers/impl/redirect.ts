/**
 * Redirects: redirect and redirect_map (net/core/filter.c). Neither sends anything: the
 * helper records the target in the CPU's bpf_redirect_info and returns the verdict the
 * program is expected to return, and the driver or tc acts on it after the program exits.
 * A run has no devices, so only the return value is mirrored.
 *
 * redirect has two kernel functions behind one id. In xdp programs it is bpf_xdp_redirect():
 * any flag gives XDP_ABORTED, otherwise XDP_REDIRECT. Elsewhere (tc) it is bpf_redirect():
 * flags other than BPF_F_INGRESS give TC_ACT_SHOT, otherwise TC_ACT_REDIRECT.
 *
 * redirect_map (xdp only) is __bpf_xdp_redirect_map(): flags may hold an XDP action in
 * their two low bits (the verdict when the slot is empty) and, for devmap and devmap_hash,
 * BPF_F_BROADCAST and BPF_F_EXCLUDE_INGRESS; anything else gives XDP_ABORTED. A filled
 * slot, or a broadcast, gives XDP_REDIRECT. The slot is looked up as bpf(2) would
 * (BpfMap.sysLookup); the in-memory maps do not model devmap, cpumap or xskmap yet, so with
 * them every slot is empty.
 */

import type { HelperImpl } from '../../vm/machine';
import { u32Bytes } from '../../maps/base';
import { fault, hostOf, isFault, argMap, argU32 } from './common';

const XDP_ABORTED = 0n;
const XDP_REDIRECT = 4n;
const TC_ACT_SHOT = 2n;
const TC_ACT_REDIRECT = 7n;
const BPF_F_INGRESS = 1n;
/** XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX: the fallback verdict in redirect_map's flags. */
const XDP_ACTION_MASK = 3n;
const BPF_F_BROADCAST = 1n << 3n;
const BPF_F_EXCLUDE_INGRESS = 1n << 4n;

/** The flags each map type's map_redirect accepts besides the fallback action. */
const REDIRECT_FLAGS: Record<string, bigint> = {
  devmap: BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS,
  devmap_hash: BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS,
  cpumap: 0n,
  xskmap: 0n,
};

/** bpf_redirect(ifindex, flags) / bpf_xdp_redirect(ifindex, flags). */
export const redirect: HelperImpl = (vm) => {
  const host = hostOf(vm, 'redirect');
  if (isFault(host)) return host;
  void argU32(vm, 1); // ifindex: kept in bpf_redirect_info, which a run does not act on
  const flags = vm.arg(2);
  if (host.progType === 'xdp') return flags !== 0n ? XDP_ABORTED : XDP_REDIRECT;
  return flags & ~BPF_F_INGRESS ? TC_ACT_SHOT : TC_ACT_REDIRECT;
};

/** bpf_xdp_redirect_map(map, key, flags). */
export const redirectMap: HelperImpl = (vm) => {
  const host = hostOf(vm, 'redirect_map');
  if (isFault(host)) return host;
  const map = argMap(vm, host, 'redirect_map', 1);
  if (isFault(map)) return map;
  const mask = REDIRECT_FLAGS[map.spec.name];
  if (mask === undefined) return fault('redirect_map', `map ${map.name} is a ${map.spec.name}; redirect_map takes a devmap, devmap_hash, cpumap or xskmap`);
  const flags = vm.arg(3);
  if (flags & ~(XDP_ACTION_MASK | mask)) return XDP_ABORTED;
  const key = u32Bytes(argU32(vm, 2));
  const present = map.def.keySize === 4 && map.sysLookup(key) instanceof Uint8Array;
  if (!present && !(flags & BPF_F_BROADCAST)) return flags & XDP_ACTION_MASK;
  return XDP_REDIRECT;
};
