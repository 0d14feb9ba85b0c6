/**
 * probe_read* and copy_from_user: reads of VM memory, and the kernel's error codes and
 * zero-fill for addresses outside it; then strncmp, strtol and strtoul.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EFAULT, EINVAL, ERANGE, neg, runAsm, stackString } from './harness';

/**
 * helper(r10-16, size, src) with the 16-byte buffer first filled with 0xff, and "hello"
 * at r10-64; `src` is an address expression. Returns r0 and the buffer.
 */
function probe(helper: string, size: number, src: string) {
  const ran = runAsm(`
${stackString('hello', 64)}
  r9 = -1
  *(u64 *)(r10 - 16) = r9
  *(u64 *)(r10 - 8) = r9
  r1 = r10
  r1 += -16
  r2 = ${size}
  ${src}
  call bpf_${helper}
  exit`);
  assert.equal(ran.stop.reason, 'exit', ran.stop.message);
  const buf = ran.run.vm.callStack()[0].stack.bytes.slice(512 - 16, 512);
  return { r0: ran.r0!, buf: [...buf] };
}

const STACK_HELLO = 'r3 = r10\nr3 += -64';
const FF = (n: number) => new Array(n).fill(0xff);
const HELLO = [0x68, 0x65, 0x6c, 0x6c, 0x6f];

test('probe_read_kernel, probe_read_user, probe_read and copy_from_user read VM memory', () => {
  for (const helper of ['probe_read_kernel', 'probe_read_user', 'probe_read', 'copy_from_user']) {
    assert.deepEqual(probe(helper, 5, STACK_HELLO), { r0: 0n, buf: [...HELLO, ...FF(11)] }, helper);
  }
});

test('a bad address zero-fills the buffer: -EFAULT, or -ERANGE where x86-64 refuses a kernel read', () => {
  const zeroed = (r0: bigint) => ({ r0, buf: [0, 0, 0, 0, 0, 0, 0, 0, ...FF(8)] });
  assert.deepEqual(probe('probe_read_kernel', 8, 'r3 = 0'), zeroed(neg(ERANGE)), 'NULL is a user address');
  assert.deepEqual(probe('probe_read_kernel', 8, 'r3 = 0xffff888000000000 ll'), zeroed(neg(EFAULT)), 'unmapped kernel memory');
  assert.deepEqual(probe('probe_read_kernel', 8, 'r3 = 0x8000000000000000 ll'), zeroed(neg(ERANGE)), 'non-canonical');
  assert.deepEqual(probe('probe_read_user', 8, 'r3 = 0'), zeroed(neg(EFAULT)));
  assert.deepEqual(probe('copy_from_user', 8, 'r3 = 0'), zeroed(neg(EFAULT)));
  assert.deepEqual(probe('probe_read', 8, 'r3 = 0'), zeroed(neg(EFAULT)), 'below TASK_SIZE: a user read');
  assert.deepEqual(probe('probe_read', 8, 'r3 = 0x8000000000000000 ll'), zeroed(neg(ERANGE)), 'above TASK_SIZE: a kernel read');
});

test('a read that starts in memory and runs out of it fails as a whole', () => {
  assert.deepEqual(probe('probe_read_kernel', 8, 'r3 = r10\nr3 += -4'), { r0: neg(EFAULT), buf: [0, 0, 0, 0, 0, 0, 0, 0, ...FF(8)] });
});

test('a size of 0 reads nothing; a kernel read still checks the address', () => {
  assert.deepEqual(probe('probe_read_user', 0, 'r3 = 0'), { r0: 0n, buf: FF(16) });
  assert.deepEqual(probe('probe_read_kernel', 0, 'r3 = 0'), { r0: neg(ERANGE), buf: FF(16) });
  assert.deepEqual(probe('probe_read_kernel', 0, STACK_HELLO), { r0: 0n, buf: FF(16) });
});

test('the _str forms copy up to the NUL and return the length with it; the rest of the buffer is left', () => {
  for (const helper of ['probe_read_kernel_str', 'probe_read_user_str', 'probe_read_str']) {
    assert.deepEqual(probe(helper, 16, STACK_HELLO), { r0: 6n, buf: [...HELLO, 0, ...FF(10)] }, helper);
  }
});

test('a string longer than the buffer is cut to size - 1 bytes and a NUL', () => {
  assert.deepEqual(probe('probe_read_kernel_str', 4, STACK_HELLO), { r0: 4n, buf: [0x68, 0x65, 0x6c, 0, ...FF(12)] });
});

test('the _str forms on a bad address: the whole buffer zeroed; a size of 0 returns 0 at once', () => {
  assert.deepEqual(probe('probe_read_user_str', 8, 'r3 = 0'), { r0: neg(EFAULT), buf: [0, 0, 0, 0, 0, 0, 0, 0, ...FF(8)] });
  assert.deepEqual(probe('probe_read_kernel_str', 8, 'r3 = 0'), { r0: neg(ERANGE), buf: [0, 0, 0, 0, 0, 0, 0, 0, ...FF(8)] });
  assert.deepEqual(probe('probe_read_kernel_str', 0, 'r3 = 0'), { r0: 0n, buf: FF(16) });
});

function strncmp(s1: string, size: number, s2: string): bigint {
  return runAsm(`
${stackString(s1, 32)}
${stackString(s2, 64)}
  r1 = r10
  r1 += -32
  r2 = ${size}
  r3 = r10
  r3 += -64
  call bpf_strncmp
  exit`).r0!;
}

test('strncmp returns -1, 0 or 1 over at most s1_sz bytes', () => {
  assert.equal(strncmp('abc', 4, 'abc'), 0n);
  assert.equal(strncmp('abc', 4, 'abd'), BigInt.asUintN(64, -1n));
  assert.equal(strncmp('abd', 4, 'abc'), 1n);
  assert.equal(strncmp('abcX', 3, 'abcY'), 0n);
  assert.equal(strncmp('ab', 3, 'abc'), BigInt.asUintN(64, -1n), 's1 ends first');
});

function strtox(helper: 'strtol' | 'strtoul', text: string, flags: number): { r0: bigint; res: bigint } {
  const bytes = new TextEncoder().encode(text);
  const ran = runAsm(`
${stackString(text, 64)}
  r9 = 0x5555 ll
  *(u64 *)(r10 - 8) = r9
  r1 = r10
  r1 += -64
  r2 = ${bytes.length}
  r3 = ${flags}
  r4 = r10
  r4 += -8
  call bpf_${helper}
  exit`);
  return { r0: ran.r0!, res: ran.run.vm.callStack()[0].stack.view.getBigUint64(504, true) };
}

test('strtol / strtoul: white space, sign, base detection, bytes consumed', () => {
  assert.deepEqual(strtox('strtol', '  -123abc', 10), { r0: 6n, res: BigInt.asUintN(64, -123n) });
  assert.deepEqual(strtox('strtol', '0x1f', 0), { r0: 4n, res: 31n });
  assert.deepEqual(strtox('strtol', '0x1f', 16), { r0: 4n, res: 31n });
  assert.deepEqual(strtox('strtol', '0x1f', 10), { r0: 1n, res: 0n });
  assert.deepEqual(strtox('strtoul', '077', 0), { r0: 3n, res: 63n });
  assert.deepEqual(strtox('strtoul', '18446744073709551615', 10), { r0: 20n, res: 0xffffffffffffffffn });
});

test('strtol / strtoul errors leave *res = 0', () => {
  assert.deepEqual(strtox('strtoul', '-5', 10), { r0: neg(EINVAL), res: 0n });
  assert.deepEqual(strtox('strtol', '9223372036854775808', 10), { r0: neg(ERANGE), res: 0n });
  assert.deepEqual(strtox('strtol', '-9223372036854775808', 10), { r0: 20n, res: 0x8000000000000000n });
  assert.deepEqual(strtox('strtoul', '18446744073709551616', 10), { r0: neg(ERANGE), res: 0n });
  assert.deepEqual(strtox('strtol', '12', 7), { r0: neg(EINVAL), res: 0n }, 'base 7');
  assert.deepEqual(strtox('strtol', '12', 0x20 | 10), { r0: neg(EINVAL), res: 0n }, 'a flag above the base bits');
  assert.deepEqual(strtox('strtol', '   ', 10), { r0: neg(EINVAL), res: 0n });
  assert.deepEqual(strtox('strtol', 'abc', 10), { r0: neg(EINVAL), res: 0n });
});
