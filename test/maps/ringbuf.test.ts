// ringbuf against ringbuf.c: space accounting (header, rounding, pending records), the
// order records reach a reader, reserve/submit/discard/output/query codes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EAGAIN, EINVAL, ENOTSUPP, MapEvent, RingbufMap } from '../../core/maps';
import { mk, toHex } from './util';

function ring(size = 4096): { m: RingbufMap; events: string[] } {
  const events: string[] = [];
  const m = mk('ringbuf', { maxEntries: size }, { onEvent: (e: MapEvent) => events.push(toHex(e.data)) }) as RingbufMap;
  return { m, events };
}

test('records reach the reader in ring order, whatever the commit order; discarded ones never', () => {
  const { m, events } = ring();
  const a = m.reserve(2) as Uint8Array;
  const b = m.reserve(2) as Uint8Array;
  const c = m.reserve(2) as Uint8Array;
  a.set([0xa, 0xa]);
  b.set([0xb, 0xb]);
  c.set([0xc, 0xc]);
  assert.equal(m.submit(c), 0);
  assert.deepEqual(events, [], 'c waits behind a and b, still being written');
  assert.equal(m.discard(a), 0);
  assert.deepEqual(events, []);
  assert.equal(m.submit(b), 0);
  assert.deepEqual(events, ['0b0b', '0c0c']);
  assert.deepEqual(m.entries().map((e) => toHex(e.value as Uint8Array)), ['0b0b', '0c0c']);
  assert.deepEqual(m.consume().map(toHex), ['0b0b', '0c0c']);
  assert.deepEqual(m.entries(), []);
});

test('each record takes round_up(size + 8, 8) bytes; the producer may run at most size - 1 ahead', () => {
  const { m } = ring(4096);
  assert.equal(m.query(1), 4096n);
  assert.ok(m.reserve(1));
  assert.equal(m.query(3), 16n, '1 byte + 8-byte header, rounded to 16');
  assert.ok(m.reserve(8));
  assert.equal(m.query(3), 32n);
  assert.ok(m.reserve(4096 - 32 - 16)); // 4056 bytes: the producer reaches 4088, 7 short of the limit
  assert.equal(m.query(3), 4088n);
  assert.equal(m.reserve(0), undefined, 'even an empty record needs 8 bytes');
  assert.equal(m.query(0), 4088n, 'unread bytes: producer - consumer');
});

test('a record larger than the ring is refused, and so are reserve flags', () => {
  const { m } = ring(4096);
  assert.equal(m.reserve(4089), undefined, '4089 + 8 rounds past 4096');
  assert.equal(m.reserve(4088), undefined, 'exactly the ring size cannot fit: at most size - 1 ahead');
  assert.equal(m.reserve(16, 1), undefined);
  assert.ok(m.reserve(4080));
});

test('space comes back only when a reader consumes, and stays taken behind a pending record', () => {
  const { m } = ring(4096);
  const big = 2040; // 2048 bytes each with the header
  const r1 = m.reserve(big) as Uint8Array;
  assert.ok(r1);
  assert.equal(m.reserve(big), undefined, 'two would fill the ring exactly: not allowed');
  assert.equal(m.submit(r1), 0);
  assert.deepEqual(m.consume().length, 1);
  assert.equal(m.query(2), 2048n, 'consumer position moved');
  const r2 = m.reserve(big) as Uint8Array; // 2048..4096
  assert.ok(r2);
  const r3 = m.reserve(1000) as Uint8Array; // wraps: 4096..5104
  assert.ok(r3);
  assert.equal(m.submit(r3), 0);
  // r2 still pending at 2048: the reader cannot pass it, so its space and everything after
  // stays taken; nothing may end more than 4095 bytes past it.
  assert.deepEqual(m.consume(), []);
  assert.equal(m.reserve(1100), undefined);
  assert.ok(m.reserve(1000), '5104 + 1008 = 6112, within 2048 + 4095');
  assert.equal(m.positions.pending, 2048);
  assert.equal(m.discard(r2), 0);
  assert.deepEqual(m.consume().length, 1, 'r2 skipped, r3 read, the third stops the reader');
  assert.equal(m.query(0), 1008n);
  assert.ok(m.reserve(3000));
});

test('output: EINVAL for unknown flags, EAGAIN when full; wakeup flags are accepted', () => {
  const { m, events } = ring(4096);
  assert.equal(m.output(Uint8Array.of(1, 2, 3), 4, 0), EINVAL);
  assert.equal(m.output(Uint8Array.of(1, 2, 3), 1, 0), 0);
  assert.equal(m.output(Uint8Array.of(4), 2, 0), 0);
  assert.deepEqual(events, ['010203', '04']);
  assert.equal(m.output(new Uint8Array(4070), 0, 0), EAGAIN);
  assert.equal(m.query(9), 0n, 'an unknown query selector gives 0');
});

test('submit and discard take only a record being written', () => {
  const { m } = ring();
  const r = m.reserve(4) as Uint8Array;
  assert.equal(m.submit(new Uint8Array(4)), EINVAL);
  assert.equal(m.submit(r), 0);
  assert.equal(m.submit(r), EINVAL, 'twice');
  assert.equal(m.discard(r), EINVAL);
});

test('a reserved record is live: the bytes written before submit are the record', () => {
  const { m, events } = ring();
  const r = m.reserve(3) as Uint8Array;
  r[0] = 1;
  r.set([7, 8], 1);
  m.submit(r);
  assert.deepEqual(events, ['010708']);
});

test('element operations on a ringbuf are ENOTSUPP', () => {
  const { m } = ring();
  const none = new Uint8Array(0);
  assert.equal(m.sysLookup(none), ENOTSUPP);
  assert.equal(m.sysUpdate(none, none, 0), ENOTSUPP);
  assert.equal(m.update(none, none, 0, 0), ENOTSUPP);
  assert.equal(m.delete(none), ENOTSUPP);
  assert.equal(m.getNextKey(undefined), ENOTSUPP);
  assert.equal(m.lookup(none, 0), undefined);
});

test('the map set collects the events of all maps in order', () => {
  const events: MapEvent[] = [];
  const m = mk('ringbuf', {}, { onEvent: (e) => events.push(e) });
  m.output(Uint8Array.of(1), 0, 0);
  assert.equal(events[0].map, 'm');
  assert.equal(events[0].cpu, undefined);
});
