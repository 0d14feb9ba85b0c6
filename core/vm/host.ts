/**
 * What a run provides around the machine: the environment helpers read (time, pid, cpu,
 * comm, random seed), the maps, the packet, and the output a run collects (trace_printk
 * lines, ringbuf and perf records). Helpers (core/helpers) see the machine and this host;
 * nothing here knows a protocol or touches a file.
 *
 * The environment has fixed defaults, so that runs are reproducible; `--env` overrides them.
 */

import { BpfMap } from '../maps/base';
import { LinkedProgram } from '../link';
import { Region, RegionKind } from './memory';

export interface RunEnv {
  /** bpf_ktime_get_ns, in nanoseconds. */
  timeNs: bigint;
  /** bpf_ktime_get_boot_ns. */
  bootTimeNs: bigint;
  /** jiffies64. */
  jiffies: bigint;
  pid: number;
  tgid: number;
  uid: number;
  gid: number;
  comm: string;
  /** The CPU the program runs on, and how many there are (per-CPU maps). */
  cpu: number;
  nCpus: number;
  /** Seed of bpf_get_prandom_u32's generator. */
  seed: number;
}

export const DEFAULT_ENV: RunEnv = {
  timeNs: 1_000_000_000n,
  bootTimeNs: 1_000_000_000n,
  jiffies: 4_294_967_296n,
  pid: 4242,
  tgid: 4242,
  uid: 0,
  gid: 0,
  comm: 'ebpf-workbench',
  cpu: 0,
  nCpus: 2,
  seed: 1,
};

/** Where the packet lies in its region, for helpers that read, write or resize it. */
export interface PacketState {
  region: Region;
  /** Byte offsets in region.bytes: data_meta <= data <= data_end. */
  meta: number;
  data: number;
  end: number;
  /** Room the buffer has before and after (xdp_adjust_head/tail, skb changes). */
  headroomMin: number;
  /** skb programs: where the Ethernet (mac) header starts, for legacy loads at SKF_LL_OFF and SKF_NET_OFF. */
  mac?: number;
}

export interface RunEvent {
  kind: 'helper' | 'map' | 'printk' | 'record';
  pc: number;
  helper?: string;
  map?: string;
  text?: string;
  data?: Uint8Array;
}

export interface RunOutput {
  printk: string[];
  /** Ringbuf and perf-event records, in order. */
  events: { map: string; data: Uint8Array }[];
}

/** The run around a machine, as helpers see it (implemented by core/vm/run.ts). */
export interface Host {
  env: RunEnv;
  progType: string;
  output: RunOutput;
  packet?: PacketState;
  maps: ReadonlyMap<string, BpfMap>;
  /** The map whose handle a register holds (the value of an lddw of a map reference). */
  mapAt(lo: number, hi: number): BpfMap | undefined;
  /**
   * The handle of a map, the inverse of mapAt: what map_lookup_elem on array_of_maps or
   * hash_of_maps returns for the inner map. Optional: without it such lookups fault.
   */
  mapHandle?(map: BpfMap): { lo: number; hi: number };
  /** The address of a live buffer (a map value, a ringbuf record), given a region once. */
  addressOf(bytes: Uint8Array, name: string, kind: RegionKind, writable: boolean): { lo: number; hi: number };
  /** Forgets a buffer's region (a submitted or discarded ringbuf record). */
  release(bytes: Uint8Array): void;
  /** The next number of bpf_get_prandom_u32's generator (seeded from env.seed). */
  random(): number;
  /** The program a tail call through this prog_array index goes to. */
  tailCallTarget(map: BpfMap, index: number): LinkedProgram | undefined;
  /** Debugger hook: helper calls, map changes, printk lines, records. */
  emit?: (e: RunEvent) => void;
}
