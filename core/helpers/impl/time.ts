/**
 * Helpers that read the machine rather than memory: the clocks (ktime_get_ns,
 * ktime_get_boot_ns, ktime_get_coarse_ns, ktime_get_tai_ns, jiffies64), the random
 * generator (get_prandom_u32) and where the program runs (get_smp_processor_id,
 * get_numa_node_id). kernel/bpf/helpers.c.
 *
 * Everything comes from the run's environment (Host.env), so a run is reproducible: the
 * clocks stand still during a run (the kernel's advance; a program that measures a
 * duration sees 0), and the generator is seeded from env.seed.
 *
 * Where we depart: the environment has one monotonic clock, so ktime_get_coarse_ns (the
 * monotonic clock at the last tick) and ktime_get_tai_ns (CLOCK_TAI, the real time plus the
 * leap seconds) read env.timeNs too. The machine is one NUMA node, node 0.
 */

import type { HelperImpl } from '../../vm/machine';
import { hostOf, isFault } from './common';

/** bpf_ktime_get_ns(): CLOCK_MONOTONIC in nanoseconds (ktime_get_mono_fast_ns()). */
export const ktimeGetNs: HelperImpl = (vm) => {
  const host = hostOf(vm, 'ktime_get_ns');
  return isFault(host) ? host : BigInt.asUintN(64, host.env.timeNs);
};

/** bpf_ktime_get_boot_ns(): CLOCK_BOOTTIME, which also counts time suspended. */
export const ktimeGetBootNs: HelperImpl = (vm) => {
  const host = hostOf(vm, 'ktime_get_boot_ns');
  return isFault(host) ? host : BigInt.asUintN(64, host.env.bootTimeNs);
};

/** bpf_ktime_get_coarse_ns(): the monotonic clock at tick resolution; here the monotonic clock itself. */
export const ktimeGetCoarseNs: HelperImpl = (vm) => {
  const host = hostOf(vm, 'ktime_get_coarse_ns');
  return isFault(host) ? host : BigInt.asUintN(64, host.env.timeNs);
};

/** bpf_ktime_get_tai_ns(): CLOCK_TAI; the environment has no wall clock, so the monotonic clock stands in. */
export const ktimeGetTaiNs: HelperImpl = (vm) => {
  const host = hostOf(vm, 'ktime_get_tai_ns');
  return isFault(host) ? host : BigInt.asUintN(64, host.env.timeNs);
};

/** bpf_jiffies64(): get_jiffies_64(). */
export const jiffies64: HelperImpl = (vm) => {
  const host = hostOf(vm, 'jiffies64');
  return isFault(host) ? host : BigInt.asUintN(64, host.env.jiffies);
};

/** bpf_get_prandom_u32(): the next number of the run's generator, zero-extended. */
export const getPrandomU32: HelperImpl = (vm) => {
  const host = hostOf(vm, 'get_prandom_u32');
  return isFault(host) ? host : BigInt(host.random() >>> 0);
};

/** bpf_get_smp_processor_id(): the CPU the run is on (env.cpu). */
export const getSmpProcessorId: HelperImpl = (vm) => {
  const host = hostOf(vm, 'get_smp_processor_id');
  return isFault(host) ? host : BigInt(host.env.cpu >>> 0);
};

/** bpf_get_numa_node_id(): node 0. */
export const getNumaNodeId: HelperImpl = () => 0n;
