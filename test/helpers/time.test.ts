/** The clock, random and CPU helpers read the run's environment, so runs are reproducible. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { r0Of } from './harness';

const call = (helper: string) => `call bpf_${helper}\nexit`;

test('ktime_get_ns, ktime_get_boot_ns and jiffies64 return the environment\'s clocks', () => {
  const env = { timeNs: 123_456_789_000n, bootTimeNs: 223_456_789_000n, jiffies: 4_295_000_000n };
  assert.equal(r0Of(call('ktime_get_ns'), { env }), 123_456_789_000n);
  assert.equal(r0Of(call('ktime_get_boot_ns'), { env }), 223_456_789_000n);
  assert.equal(r0Of(call('jiffies64'), { env }), 4_295_000_000n);
});

test('ktime_get_coarse_ns and ktime_get_tai_ns read the monotonic clock (the environment has no other)', () => {
  assert.equal(r0Of(call('ktime_get_coarse_ns'), { env: { timeNs: 77n } }), 77n);
  assert.equal(r0Of(call('ktime_get_tai_ns'), { env: { timeNs: 78n } }), 78n);
});

test('the clock stands still within a run: two reads give a duration of 0', () => {
  assert.equal(r0Of('call bpf_ktime_get_ns\nr6 = r0\ncall bpf_ktime_get_ns\nr0 -= r6\nexit'), 0n);
});

test('get_prandom_u32 is a 32-bit number from a seeded generator: same seed, same numbers', () => {
  const two = 'call bpf_get_prandom_u32\nr6 = r0\ncall bpf_get_prandom_u32\nr0 <<= 32\nr0 |= r6\nexit';
  const a = r0Of(two, { env: { seed: 7 } }), b = r0Of(two, { env: { seed: 7 } }), c = r0Of(two, { env: { seed: 8 } });
  assert.equal(a, b);
  assert.notEqual(a, c);
  assert.notEqual(a >> 32n, a & 0xffffffffn, 'two draws differ');
  assert.ok(r0Of(call('get_prandom_u32')) <= 0xffffffffn);
});

test('get_smp_processor_id is env.cpu; get_numa_node_id is 0', () => {
  assert.equal(r0Of(call('get_smp_processor_id'), { env: { cpu: 1 } }), 1n);
  assert.equal(r0Of(call('get_numa_node_id')), 0n);
});
