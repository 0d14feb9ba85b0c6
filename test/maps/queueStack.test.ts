// queue and stack against queue_stack_maps.c: order, fullness, BPF_EXIST overwriting the
// oldest value, flag codes, and the bpf(2) mapping (lookup peeks, update pushes).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { E2BIG, EINVAL, ENOENT } from '../../core/maps';
import { mk, toHex } from './util';

const v = (n: number) => Uint8Array.of(n, 0, 0, 0);

function drain(m: ReturnType<typeof mk>): number[] {
  const out: number[] = [];
  const dst = new Uint8Array(4);
  while (m.pop(dst) === 0) out.push(dst[0]);
  return out;
}

test('queue pops oldest first, stack newest first', () => {
  for (const [type, want] of [['queue', [1, 2, 3]], ['stack', [3, 2, 1]]] as const) {
    const m = mk(type);
    for (const n of [1, 2, 3]) assert.equal(m.push(v(n), 0), 0);
    const dst = new Uint8Array(4);
    assert.equal(m.peek(dst), 0);
    assert.equal(dst[0], want[0], `${type} peek`);
    assert.deepEqual(drain(m), [...want], type);
  }
});

test('a full queue or stack is E2BIG; BPF_EXIST drops the oldest value to make room', () => {
  for (const type of ['queue', 'stack']) {
    const m = mk(type, { maxEntries: 3 });
    for (const n of [1, 2, 3]) m.push(v(n), 0);
    assert.equal(m.push(v(4), 0), E2BIG, type);
    assert.equal(m.push(v(4), 2), 0, type);
    assert.equal(m.push(v(5), 2), 0, type);
    // The oldest values (1, then 2) went, for the stack as for the queue.
    assert.deepEqual(m.entries().map((e) => (e.value as Uint8Array)[0]), [3, 4, 5], type);
    assert.deepEqual(drain(m), type === 'queue' ? [3, 4, 5] : [5, 4, 3]);
  }
});

test('push flags: BPF_NOEXIST and anything above BPF_EXIST are EINVAL', () => {
  const m = mk('queue');
  for (const f of [1, 3, 4, 8]) assert.equal(m.push(v(1), f), EINVAL, `flags ${f}`);
  assert.equal(m.push(v(1), 2), 0, 'BPF_EXIST on a map with room is a plain push');
});

test('pop and peek on an empty map: ENOENT, and the destination zeroed', () => {
  const m = mk('stack');
  const dst = Uint8Array.of(9, 9, 9, 9);
  assert.equal(m.pop(dst), ENOENT);
  assert.equal(toHex(dst), '00000000');
  dst.fill(7);
  assert.equal(m.peek(dst), ENOENT);
  assert.equal(toHex(dst), '00000000');
});

test('keyed operations: lookup NULL, update / delete / get_next_key EINVAL; bpf(2) lookup peeks and update pushes', () => {
  const m = mk('queue');
  const none = new Uint8Array(0);
  assert.equal(m.lookup(none, 0), undefined);
  assert.equal(m.update(none, v(1), 0, 0), EINVAL);
  assert.equal(m.delete(none), EINVAL);
  assert.equal(m.getNextKey(undefined), EINVAL);
  assert.equal(m.sysLookup(none), ENOENT);
  assert.equal(m.sysUpdate(none, v(6), 0), 0);
  assert.equal(m.sysUpdate(none, v(7), 0), 0);
  assert.equal(toHex(m.sysLookup(none) as Uint8Array), '06000000');
  assert.deepEqual(drain(m), [6, 7]);
});

test('pushes and pops count as changes', () => {
  const m = mk('queue');
  m.push(v(1), 0);
  m.pop(new Uint8Array(4));
  m.pop(new Uint8Array(4)); // empty: no change
  assert.equal(m.version, 2);
});
