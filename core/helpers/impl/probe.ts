/**
 * Reading memory the verifier cannot vouch for: probe_read_kernel, probe_read_user, their
 * _str forms, the old probe_read and probe_read_str (kernel/trace/bpf_trace.c), and
 * copy_from_user (kernel/bpf/helpers.c).
 *
 * "Memory" is the VM's: an address inside a region (a map value, the stack, the packet,
 * the context...) reads that region's accessible bytes, whatever the helper's flavour. An
 * address outside every region fails, and the destination is zeroed, as the kernel zeroes
 * it, with the code the kernel gives on x86-64:
 * - probe_read_user, copy_from_user: -EFAULT (copy_from_user_nofault()).
 * - probe_read_kernel: -ERANGE for an address copy_from_kernel_nofault_allowed() refuses (a
 *   user-space address below TASK_SIZE_MAX + PAGE_SIZE, NULL included, a non-canonical one,
 *   the vsyscall page), -EFAULT for any other kernel address that is not mapped.
 * - probe_read (and _str): a user read below TASK_SIZE, a kernel read above it.
 * The check is on the first byte's address, as in the kernel; a read that starts in a
 * region and runs out of it fails as a whole with -EFAULT (the fault comes part-way).
 *
 * The _str forms copy up to and including the NUL, at most `size` bytes (a longer string is
 * cut to size - 1 bytes and a NUL), return the bytes written including the NUL, leave the
 * rest of the buffer as it was, and return 0 at once for a size of 0. A string that runs
 * out of readable memory before its NUL and before `size` bytes fails as a whole.
 */

import type { HelperImpl, Machine } from '../../vm/machine';
import { EFAULT, ERANGE, addrOf, argBytes, argU32, cString, errno, isFault, tryBytes } from './common';

type Space = 'kernel' | 'user' | 'compat';

/** TASK_SIZE_MAX with 4-level paging (x86-64): user space ends here. */
const TASK_SIZE_MAX = 0x7ffffffff000n;
const PAGE_SIZE = 0x1000n;
/** The lowest canonical kernel address with 48-bit virtual addresses. */
const KERNEL_START = 0xffff800000000000n;
const VSYSCALL_PAGE = 0xffffffffff600000n;

/** bpf_probe_read_kernel(dst, size, unsafe_ptr). */
export const probeReadKernel: HelperImpl = (vm) => probeRead(vm, 'probe_read_kernel', 'kernel');
/** bpf_probe_read_user(dst, size, unsafe_ptr). */
export const probeReadUser: HelperImpl = (vm) => probeRead(vm, 'probe_read_user', 'user');
/** bpf_probe_read(dst, size, unsafe_ptr): bpf_probe_read_compat(), user or kernel by address. */
export const probeReadCompat: HelperImpl = (vm) => probeRead(vm, 'probe_read', 'compat');
/** bpf_probe_read_kernel_str(dst, size, unsafe_ptr). */
export const probeReadKernelStr: HelperImpl = (vm) => probeReadStr(vm, 'probe_read_kernel_str', 'kernel');
/** bpf_probe_read_user_str(dst, size, unsafe_ptr). */
export const probeReadUserStr: HelperImpl = (vm) => probeReadStr(vm, 'probe_read_user_str', 'user');
/** bpf_probe_read_str(dst, size, unsafe_ptr): bpf_probe_read_compat_str(). */
export const probeReadCompatStr: HelperImpl = (vm) => probeReadStr(vm, 'probe_read_str', 'compat');
/** bpf_copy_from_user(dst, size, user_ptr): sleepable programs only; -EFAULT and a zeroed dst on failure. */
export const copyFromUser: HelperImpl = (vm) => probeRead(vm, 'copy_from_user', 'user');

function probeRead(vm: Machine, helper: string, space: Space): bigint | { fault: string } {
  const size = argU32(vm, 2);
  const dst = argBytes(vm, helper, 1, size, true);
  if (isFault(dst)) return dst;
  const lo = vm.lo[3], hi = vm.hi[3];
  const addr = addrOf({ lo, hi });
  if (size === 0) {
    // Nothing is copied, but a kernel read checks its address first.
    return inVm(vm, lo, hi) || readError(space, addr) === EFAULT ? 0n : errno(ERANGE);
  }
  const src = tryBytes(vm, lo, hi, size);
  if (!src) {
    dst.fill(0);
    return errno(inVm(vm, lo, hi) ? EFAULT : readError(space, addr));
  }
  dst.set(src.slice());
  return 0n;
}

function probeReadStr(vm: Machine, helper: string, space: Space): bigint | { fault: string } {
  const size = argU32(vm, 2);
  const dst = argBytes(vm, helper, 1, size, true);
  if (isFault(dst)) return dst;
  if (size === 0) return 0n;
  const lo = vm.lo[3], hi = vm.hi[3];
  const s = cString(vm, lo, hi, size);
  if (s && s.complete) {
    const bytes = s.bytes.slice();
    dst.set(bytes);
    dst[bytes.length] = 0;
    return BigInt(bytes.length + 1);
  }
  if (s && s.readable === size) {
    dst.set(s.bytes.slice(0, size - 1));
    dst[size - 1] = 0;
    return BigInt(size);
  }
  dst.fill(0);
  // A string that starts in VM memory but runs out of it faults part-way: -EFAULT.
  return errno(s ? EFAULT : readError(space, addrOf({ lo, hi })));
}

/** Whether an address lies in VM memory: such reads are allowed, whatever the numeric address. */
function inVm(vm: Machine, lo: number, hi: number): boolean {
  return !('message' in vm.resolve(lo, hi, 0, false));
}

/** The errno of a read that starts outside the VM's memory (see the header). */
function readError(space: Space, addr: bigint): number {
  if (space === 'user' || (space === 'compat' && addr < TASK_SIZE_MAX)) return EFAULT;
  return kernelReadAllowed(addr) ? EFAULT : ERANGE;
}

/** copy_from_kernel_nofault_allowed() on x86-64. */
function kernelReadAllowed(addr: bigint): boolean {
  if (addr < TASK_SIZE_MAX + PAGE_SIZE) return false;
  if (addr >= VSYSCALL_PAGE && addr < VSYSCALL_PAGE + PAGE_SIZE) return false;
  return addr >= KERNEL_START;
}
