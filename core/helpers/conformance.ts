/**
 * The helpers of the `raw` program type: the conformance suite's own helpers 0-5, which
 * replace the kernel's there (shared/conformance/README.md §4). A separate table from
 * core/helpers/table.ts because these ids mean different functions.
 */

import { HelperImpl, Machine } from '../vm/machine';

export interface RawHelperSpec {
  id: number;
  name: string;
  doc: string;
  impl: HelperImpl;
}

/** Reads a NUL-terminated string (at most 4096 bytes) at a 64-bit address. */
function cString(vm: Machine, addr: bigint): Uint8Array | string {
  const lo = Number(addr & 0xffffffffn) | 0, hi = Number(addr >> 32n) | 0;
  for (let len = 1; len <= 4096; len++) {
    const b = vm.bytesAt(lo, hi, len, false);
    if (typeof b === 'string') return b;
    if (b[len - 1] === 0) return b;
  }
  return 'string longer than 4096 bytes';
}

export const RAW_HELPERS: readonly RawHelperSpec[] = [
  {
    id: 0, name: 'gather_bytes', doc: 'returns the low bytes of r1-r5 packed: r1<<32 | r2<<24 | r3<<16 | r4<<8 | r5',
    impl: (vm) => ((vm.arg(1) & 0xffn) << 32n) | ((vm.arg(2) & 0xffn) << 24n) | ((vm.arg(3) & 0xffn) << 16n) | ((vm.arg(4) & 0xffn) << 8n) | (vm.arg(5) & 0xffn),
  },
  {
    id: 1, name: 'memfrob', doc: 'XORs each of the r2 bytes at r1 with 42, in place; returns 0',
    impl: (vm) => {
      const bytes = vm.bytesAt(vm.lo[1], vm.hi[1], Number(vm.arg(2) & 0xffffffffn), true);
      if (typeof bytes === 'string') return { fault: `memfrob: ${bytes}` };
      for (let k = 0; k < bytes.length; k++) bytes[k] ^= 42;
      return 0n;
    },
  },
  { id: 2, name: 'no_op', doc: 'does nothing; returns 0', impl: () => 0n },
  {
    id: 3, name: 'sqrti', doc: 'the integer square root of r1 (through a double, truncated)',
    impl: (vm) => BigInt(Math.trunc(Math.sqrt(Number(vm.arg(1))))),
  },
  {
    id: 4, name: 'strcmp_ext', doc: 'compares the NUL-terminated strings at r1 and r2, as C strcmp',
    impl: (vm) => {
      const a = cString(vm, vm.arg(1)), b = cString(vm, vm.arg(2));
      if (typeof a === 'string') return { fault: `strcmp: ${a}` };
      if (typeof b === 'string') return { fault: `strcmp: ${b}` };
      for (let k = 0; ; k++) {
        if (a[k] !== b[k] || a[k] === 0) return BigInt.asUintN(64, BigInt(a[k] - b[k]));
      }
    },
  },
  {
    id: 5, name: 'unwind', doc: 'returns r1; when that is 0 the program stops at once with result 0',
    impl: (vm) => (vm.arg(1) === 0n ? { exit: 0n } : vm.arg(1)),
  },
];

export function rawHelper(id: number): RawHelperSpec | undefined {
  return RAW_HELPERS.find((h) => h.id === id);
}
