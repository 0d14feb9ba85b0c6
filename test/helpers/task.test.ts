/** The current-task helpers read the run's environment; the attach-point helpers have nothing to report. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { r0Of, runAsm } from './harness';

test('get_current_pid_tgid is tgid << 32 | pid; get_current_uid_gid is gid << 32 | uid', () => {
  const env = { pid: 1001, tgid: 1000, uid: 500, gid: 600 };
  assert.equal(r0Of('call bpf_get_current_pid_tgid\nexit', { env }), (1000n << 32n) | 1001n);
  assert.equal(r0Of('call bpf_get_current_uid_gid\nexit', { env }), (600n << 32n) | 500n);
});

function comm(size: number): string {
  return `
  r1 = -1
  *(u64 *)(r10 - 24) = r1
  *(u64 *)(r10 - 16) = r1
  *(u64 *)(r10 - 8) = r1
  r1 = r10
  r1 += -24
  r2 = ${size}
  call bpf_get_current_comm
  exit`;
}

test('get_current_comm copies comm (at most 15 characters), a NUL and zero padding', () => {
  const ran = runAsm(comm(24), { env: { comm: 'a-very-long-command-name' } });
  assert.equal(ran.r0, 0n);
  const stack = ran.run.vm.callStack()[0].stack.bytes;
  const buf = stack.subarray(512 - 24, 512);
  assert.equal(new TextDecoder().decode(buf.subarray(0, 15)), 'a-very-long-com');
  assert.deepEqual([...buf.subarray(15)], new Array(9).fill(0));
});

test('get_current_comm into a short buffer keeps size - 1 characters and a NUL', () => {
  const ran = runAsm(comm(4), { env: { comm: 'nginx' } });
  const buf = ran.run.vm.callStack()[0].stack.bytes.subarray(512 - 24, 512 - 16);
  assert.deepEqual([...buf], [0x6e, 0x67, 0x69, 0, 0xff, 0xff, 0xff, 0xff]);
});

test('get_current_task is a kernel address that probe_read_kernel cannot read (-EFAULT)', () => {
  const task = r0Of('call bpf_get_current_task\nexit');
  assert.ok(task >= 0xffff800000000000n, `0x${task.toString(16)} is a kernel address`);
  const read = 'call bpf_get_current_task\nr3 = r0\nr1 = r10\nr1 += -8\nr2 = 8\ncall bpf_probe_read_kernel\nexit';
  assert.equal(r0Of(read), BigInt.asUintN(64, -14n));
});

test('get_func_ip and get_attach_cookie give 0: a run is attached nowhere', () => {
  assert.equal(r0Of('call bpf_get_func_ip\nexit'), 0n);
  assert.equal(r0Of('call bpf_get_attach_cookie\nexit'), 0n);
});
