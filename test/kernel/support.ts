/** What the kernel tests share: the skip reason, a narrowing assertion, and instruction builders. */

import assert from 'node:assert/strict';
import { Insn } from '../../core/isa/insn';
import { KernelError, Unavailable, kernelAvailable } from '../../core/kernel';
import { canLoadBpf } from '../tools';

/**
 * Why kernel tests must skip here, or undefined when they run. Where bpf(2) should work (root
 * on Linux) and the bridge still says it is unavailable, that is a failure, not a skip.
 */
export function skipReason(): string | undefined {
  if (!canLoadBpf()) return 'bpf(2) needs root on Linux';
  const k = kernelAvailable();
  assert.ok(k.ok, `the kernel bridge is unavailable as root on Linux: ${k.ok ? '' : k.reason}`);
  return undefined;
}

/** The result itself, after asserting that it is neither a KernelError nor Unavailable. */
export function ok<T extends object>(res: T, what = 'call'): Exclude<T, KernelError | Unavailable> {
  assert.ok(!('unavailable' in res), `${what}: unavailable: ${(res as Unavailable).unavailable}`);
  assert.ok(!('errno' in res), `${what}: ${(res as KernelError).message}`);
  return res as Exclude<T, KernelError | Unavailable>;
}

export function I(code: number, dst = 0, src = 0, off = 0, imm = 0): Insn {
  return { code, dst, src, off, imm };
}

/** `r0 = imm; exit` */
export function retImm(imm: number): Insn[] {
  return [I(0xb7, 0, 0, 0, imm), I(0x95)];
}

export function u32le(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

export function u64le(n: number | bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

export function readU64(b: Uint8Array): bigint {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0, true);
}

/** The verifier log's lines without the trailing `processed N insns ...` statistics line. */
export function logLines(log: string): { lines: string[]; stats: string | undefined } {
  const lines = log.split('\n').filter((l) => l !== '');
  const stats = lines.length && lines[lines.length - 1].startsWith('processed ') ? lines.pop() : undefined;
  return { lines, stats };
}
