/** ringbuf_* and perf_event_output through the VM: records, their order, the ring's limits and errno codes. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EAGAIN, E2BIG, EFAULT, EINVAL, EOPNOTSUPP, faultOf, neg, r0Of, runAsm, udpFrame } from './harness';

const RB = '.map rb, type=ringbuf, key=0, value=0, max_entries=4096\n';

/** ringbuf_output(rb, r10-8 holding `value`, size, flags). */
const output = (value: number, size = 8, flags = 0) => `
  *(u64 *)(r10 - 8) = ${value}
  r1 = rb ll
  r2 = r10
  r2 += -8
  r3 = ${size}
  r4 = ${flags}
  call bpf_ringbuf_output`;

/** ringbuf_reserve(rb, size, 0) into `reg`; on NULL the program exits with 99. */
const reserve = (reg: string, size: number, flags = 0) => `
  r1 = rb ll
  r2 = ${size}
  r3 = ${flags}
  call bpf_ringbuf_reserve
  if r0 == 0 goto null
  ${reg} = r0`;

const commit = (reg: string, how: 'submit' | 'discard') => `r1 = ${reg}\nr2 = 0\ncall bpf_ringbuf_${how}`;
const TAIL = 'r0 = 0\nexit\nnull:\nr0 = 99\nexit';

test('ringbuf_output sends records in order', () => {
  const ran = runAsm(`${RB}${output(1)}\n${output(2)}\nexit`);
  assert.equal(ran.r0, 0n);
  assert.deepEqual(ran.events.map((e) => [e.map, e.data[0], e.data.length]), [['rb', 1, 8], ['rb', 2, 8]]);
});

test('records reach user space in ring order, whatever the order of the submits', () => {
  const ran = runAsm(`${RB}
${reserve('r6', 8)}
${reserve('r7', 8)}
  *(u64 *)(r6 + 0) = 1
  *(u64 *)(r7 + 0) = 2
${commit('r7', 'submit')}
${commit('r6', 'submit')}
${TAIL}`);
  assert.equal(ran.r0, 0n);
  assert.deepEqual(ran.events.map((e) => e.data[0]), [1, 2]);
});

test('a discarded record is never seen; the next one is', () => {
  const ran = runAsm(`${RB}
${reserve('r6', 8)}
  *(u64 *)(r6 + 0) = 1
${commit('r6', 'discard')}
${output(2)}
${TAIL}`);
  assert.deepEqual(ran.events.map((e) => e.data[0]), [2]);
});

test('ringbuf_reserve gives NULL for flags other than 0, a record bigger than the ring, and a full ring', () => {
  assert.equal(r0Of(`${RB}${reserve('r6', 8, 1)}\n${TAIL}`), 99n);
  assert.equal(r0Of(`${RB}${reserve('r6', 4096)}\n${TAIL}`), 99n, '4096 + 8 bytes of header do not fit');
  assert.equal(r0Of(`${RB}${reserve('r6', 4000)}\n${reserve('r7', 100)}\n${TAIL}`), 99n);
  assert.equal(r0Of(`${RB}${reserve('r6', 4000)}\n${commit('r6', 'discard')}\n${TAIL}`), 0n);
});

test('ringbuf_output into a full ring is -EAGAIN; unknown flags -EINVAL', () => {
  // 4096-byte ring: records take 16 bytes each; the producer may run at most 4095 bytes ahead.
  const fill = Array.from({ length: 255 }, () => output(0)).join('\n');
  assert.equal(r0Of(`${RB}${fill}\n${output(1)}\nexit`), neg(EAGAIN));
  assert.equal(r0Of(`${RB}${output(1, 8, 4)}\nexit`), neg(EINVAL));
  assert.equal(r0Of(`${RB}${output(1, 8, 3)}\nexit`), 0n, 'BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP are allowed');
});

test('ringbuf_query: available data, ring size, consumer and producer positions', () => {
  const q = (flag: number) => r0Of(`${RB}${output(1)}\nr1 = rb ll\nr2 = ${flag}\ncall bpf_ringbuf_query\nexit`);
  assert.equal(q(0), 16n, 'BPF_RB_AVAIL_DATA: one record of round_up(8 + 8, 8) bytes');
  assert.equal(q(1), 4096n);
  assert.equal(q(2), 0n);
  assert.equal(q(3), 16n);
  assert.equal(q(9), 0n);
});

test('the record is program memory of its size; submit takes back only the unmodified pointer, once', () => {
  assert.match(faultOf(`${RB}${reserve('r6', 8)}\n*(u64 *)(r6 + 8) = 1\n${TAIL}`), /past the end of ringbuf record \(rb\)/);
  assert.match(faultOf(`${RB}${reserve('r6', 8)}\nr6 += 4\n${commit('r6', 'submit')}\n${TAIL}`), /not a record from ringbuf_reserve/);
  assert.match(faultOf(`${RB}${reserve('r6', 8)}\n${commit('r6', 'submit')}\n${commit('r6', 'submit')}\n${TAIL}`), /ringbuf_submit: R1 is not a record/);
});

const PERF = '.map ev, type=perf_event_array, key=4, value=4, max_entries=2\n';

/** perf_event_output(ctx, ev, flags, r10-8 (8 bytes of `value`), 8). */
const perf = (flags: bigint, value = 5) => `
  r6 = r1
  *(u64 *)(r10 - 8) = ${value}
  r1 = r6
  r2 = ev ll
  r3 = 0x${flags.toString(16)} ll
  r4 = r10
  r4 += -8
  r5 = 8
  call bpf_perf_event_output
  exit`;

test('perf_event_output with BPF_F_CURRENT_CPU records on this CPU\'s buffer', () => {
  const ran = runAsm(`${PERF}${perf(0xffffffffn)}`, { env: { cpu: 1 } });
  assert.equal(ran.r0, 0n);
  assert.deepEqual(ran.events.map((e) => [e.map, e.data[0]]), [['ev', 5]]);
});

test('perf_event_output errors: an index past the end, another CPU\'s event, flags a tracing program may not set', () => {
  assert.equal(r0Of(`${PERF}${perf(2n)}`), neg(E2BIG));
  assert.equal(r0Of(`${PERF}${perf(1n)}`, { env: { cpu: 0 } }), neg(EOPNOTSUPP));
  assert.equal(r0Of(`${PERF}${perf(0xffffffffn | (4n << 32n))}`), neg(EINVAL));
});

test('perf_event_output from a packet program appends the first BPF_F_CTXLEN bytes of the packet', () => {
  const frame = udpFrame();
  const ran = runAsm(`${PERF}${perf(0xffffffffn | (6n << 32n))}`, { progType: 'sched_cls', packet: frame });
  assert.equal(ran.r0, 0n);
  assert.deepEqual([...ran.events[0].data], [5, 0, 0, 0, 0, 0, 0, 0, ...frame.subarray(0, 6)]);
  const tooLong = BigInt(frame.length + 1);
  assert.equal(r0Of(`${PERF}${perf(0xffffffffn | (tooLong << 32n))}`, { progType: 'sched_cls', packet: frame }), neg(EFAULT));
});
