/**
 * Test support for the helper tests: assemble a small program, link it, run it through the
 * run layer (core/vm/run.ts) with its maps, and hand back what the run gave. The one place
 * the helper tests call the assembler, the linker and the VM.
 *
 * Also builders for the assembly the tests keep needing: putting bytes on the stack, and a
 * packet with an IPv4/UDP header.
 */

import assert from 'node:assert/strict';
import { assemble } from '../../core/asm/assemble';
import { listPrograms } from '../../core/link';
import { MapSet } from '../../core/maps/create';
import { createRun, mapsForObject, Run, RunResult } from '../../core/vm/run';
import { DEFAULT_ENV, RunEnv } from '../../core/vm/host';
import type { Stop } from '../../core/vm/machine';

export interface RunSpec {
  /** Program type; default kprobe (no packet). */
  progType?: string;
  packet?: Uint8Array | number[];
  ctx?: Record<string, unknown>;
  env?: Partial<RunEnv>;
  budget?: number;
  /** The program to run, by name or section, when the text has several. */
  program?: string;
  /** Fill maps before the run (prog_array slots, initial values). */
  setup?: (maps: MapSet) => void;
  /** Map declarations whose creation may fail (a type the in-memory maps lack); `setup` adds stand-ins. */
  mapErrorsOk?: boolean;
  /** Adjust the run (its host) before it starts. */
  beforeRun?: (run: Run) => void;
}

export interface Ran {
  stop: Stop;
  /** r0 at exit; undefined after a fault. */
  r0?: bigint;
  result: RunResult;
  maps: MapSet;
  printk: string[];
  events: { map: string; data: Uint8Array }[];
  packet?: Uint8Array;
  run: Run;
}

export function runAsm(text: string, spec: RunSpec = {}): Ran {
  const { object, diagnostics } = assemble(text);
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.span?.line}: ${d.message}`), []);
  const env: RunEnv = { ...DEFAULT_ENV, ...spec.env };
  const refs = listPrograms(object);
  const ref = spec.program ? refs.find((r) => r.name === spec.program || r.section === spec.program) : refs[0];
  assert.ok(ref, `no program ${spec.program ?? ''} in ${refs.map((r) => r.name).join(', ')}`);
  const maps = mapsForObject(object, env);
  if (!spec.mapErrorsOk) assert.deepEqual(maps.diagnostics.map((d) => d.message), []);
  spec.setup?.(maps);
  const made = createRun(object, ref, {
    progType: spec.progType ?? 'kprobe',
    input: { packet: spec.packet ? Uint8Array.from(spec.packet) : undefined, ctxFields: spec.ctx },
    env,
    budget: spec.budget,
    maps,
  });
  assert.deepEqual(made.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), []);
  const run = made.run!;
  spec.beforeRun?.(run);
  run.vm.run();
  const result = run.result();
  return {
    stop: result.stop, r0: result.r0, result, maps,
    printk: result.output.printk, events: result.output.events, packet: result.packet, run,
  };
}

/** Runs to exit and returns r0 (fails the test on a fault). */
export function r0Of(text: string, spec: RunSpec = {}): bigint {
  const ran = runAsm(text, spec);
  assert.equal(ran.stop.reason, 'exit', `expected an exit, got ${ran.stop.reason}: ${ran.stop.message ?? ''}`);
  return ran.r0!;
}

/** Runs and returns the fault message (fails the test on an exit). */
export function faultOf(text: string, spec: RunSpec = {}): string {
  const ran = runAsm(text, spec);
  assert.equal(ran.stop.reason, 'fault', `expected a fault, got ${ran.stop.reason} r0=${ran.r0}`);
  return ran.stop.message!;
}

/** A negative errno as r0 holds it. */
export function neg(n: number): bigint {
  return BigInt.asUintN(64, BigInt(-n));
}

export const EPERM = 1, ENOENT = 2, E2BIG = 7, EAGAIN = 11, ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17,
  EINVAL = 22, ENOSPC = 28, ERANGE = 34, EOPNOTSUPP = 95, ENOTSUPP = 524;

/**
 * Assembly that stores `bytes` on the stack from r10 - `at` upward, 8 bytes a store
 * through r9 (zero-padded to a multiple of 8). `at` must be a multiple of 8 and at least
 * the padded length.
 */
export function stackBytes(bytes: Uint8Array | number[] | string, at: number): string {
  const b = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : Uint8Array.from(bytes);
  const padded = new Uint8Array(Math.ceil(b.length / 8) * 8);
  padded.set(b);
  if (at % 8 !== 0 || at < padded.length) throw new Error(`stackBytes: at ${at} cannot hold ${padded.length} bytes`);
  const lines: string[] = [];
  for (let k = 0; k < padded.length; k += 8) {
    let v = 0n;
    for (let j = 7; j >= 0; j--) v = (v << 8n) | BigInt(padded[k + j]);
    lines.push(`r9 = 0x${v.toString(16)} ll`, `*(u64 *)(r10 - ${at - k}) = r9`);
  }
  return lines.join('\n');
}

/** A C string (with its NUL) on the stack at r10 - at. */
export function stackString(s: string, at: number): string {
  return stackBytes(new TextEncoder().encode(`${s}\0`), at);
}

/** Bytes from a hex string ("0a 0b", "0a0b"). */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
}

/**
 * An Ethernet + IPv4 + UDP frame with correct IP and UDP checksums: 10.0.0.1:1234 ->
 * 10.0.0.2:80, `payload` after the UDP header. IP header at 14, UDP header at 34.
 */
export function udpFrame(payload: number[] = [1, 2, 3, 4]): Uint8Array {
  const ip = [0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
  const udpLen = 8 + payload.length;
  const totLen = 20 + udpLen;
  ip[2] = totLen >> 8; ip[3] = totLen & 0xff;
  const ipSum = rfc1071(Uint8Array.from(ip));
  ip[10] = ipSum >> 8; ip[11] = ipSum & 0xff;
  const udp = [0x04, 0xd2, 0x00, 0x50, udpLen >> 8, udpLen & 0xff, 0, 0, ...payload];
  const pseudo = [10, 0, 0, 1, 10, 0, 0, 2, 0, 17, udpLen >> 8, udpLen & 0xff];
  const udpSum = rfc1071(Uint8Array.from([...pseudo, ...udp])) || 0xffff;
  udp[6] = udpSum >> 8; udp[7] = udpSum & 0xff;
  const eth = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
  return Uint8Array.from([...eth, ...ip, ...udp]);
}

/**
 * The Internet checksum of RFC 1071, written independently of core/helpers (a plain
 * big-endian 16-bit sum with end-around carry, inverted): the reference the checksum tests
 * compare against.
 */
export function rfc1071(data: Uint8Array): number {
  let sum = 0;
  for (let k = 0; k < data.length; k += 2) {
    sum += (data[k] << 8) | (k + 1 < data.length ? data[k + 1] : 0);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  }
  return ~sum & 0xffff;
}
