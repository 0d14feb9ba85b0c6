/**
 * Helpers about the current task and the attach point: get_current_pid_tgid,
 * get_current_uid_gid, get_current_comm (kernel/bpf/helpers.c), get_current_task,
 * get_func_ip and get_attach_cookie (kernel/trace/bpf_trace.c).
 *
 * The task is the run's environment (pid, tgid, uid, gid, comm): what `current` is when
 * BPF_PROG_TEST_RUN runs a program, the process that asked for the run.
 *
 * Where we depart: there is no task_struct in the VM. get_current_task returns a stand-in
 * kernel address (in the direct map, derived from the pid) that reads nothing: a
 * probe_read_kernel through it fails with -EFAULT, as a read of unmapped kernel memory
 * does. get_func_ip returns 0, the kernel's answer for a kprobe that is not at a function
 * entry, since a run has no attach point; get_attach_cookie returns 0, the cookie of a
 * program attached without one.
 */

import type { HelperImpl } from '../../vm/machine';
import { argBytes, argU32, hostOf, isFault } from './common';

/** TASK_COMM_LEN: comm is at most 15 characters and a NUL. */
const TASK_COMM_LEN = 16;
/** Base of the stand-in task_struct addresses (the x86-64 direct map). */
const FAKE_TASK_BASE = 0xffff888100000000n;

/** bpf_get_current_pid_tgid(): tgid << 32 | pid. */
export const getCurrentPidTgid: HelperImpl = (vm) => {
  const host = hostOf(vm, 'get_current_pid_tgid');
  if (isFault(host)) return host;
  return (BigInt(host.env.tgid >>> 0) << 32n) | BigInt(host.env.pid >>> 0);
};

/** bpf_get_current_uid_gid(): gid << 32 | uid, in the initial user namespace. */
export const getCurrentUidGid: HelperImpl = (vm) => {
  const host = hostOf(vm, 'get_current_uid_gid');
  if (isFault(host)) return host;
  return (BigInt(host.env.gid >>> 0) << 32n) | BigInt(host.env.uid >>> 0);
};

/**
 * bpf_get_current_comm(buf, size): strscpy_pad() of comm into buf: at most size - 1
 * characters, a NUL, and zeros to the end. Returns 0.
 */
export const getCurrentComm: HelperImpl = (vm) => {
  const host = hostOf(vm, 'get_current_comm');
  if (isFault(host)) return host;
  const size = argU32(vm, 2);
  const buf = argBytes(vm, 'get_current_comm', 1, size, true);
  if (isFault(buf)) return buf;
  const comm = new TextEncoder().encode(host.env.comm).subarray(0, TASK_COMM_LEN - 1);
  buf.fill(0);
  if (size > 0) buf.set(comm.subarray(0, Math.min(comm.length, size - 1)));
  return 0n;
};

/** bpf_get_current_task(): `current` as an integer; here a stand-in address that reads nothing. */
export const getCurrentTask: HelperImpl = (vm) => {
  const host = hostOf(vm, 'get_current_task');
  if (isFault(host)) return host;
  return FAKE_TASK_BASE + BigInt(host.env.pid >>> 0) * 0x4000n;
};

/** bpf_get_func_ip(ctx): the traced function's address; a run is attached nowhere, so 0. */
export const getFuncIp: HelperImpl = (vm) => {
  void vm.lo[1]; // ctx: the kernel reads the kprobe or the trampoline frame, not the context bytes
  return 0n;
};

/** bpf_get_attach_cookie(ctx): the cookie given at attach time; a run has none, so 0. */
export const getAttachCookie: HelperImpl = (vm) => {
  void vm.lo[1];
  return 0n;
};
