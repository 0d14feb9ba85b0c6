// lpm_trie against lpm_trie.c: longest match on overlapping prefixes, flag and size codes,
// the postorder of get_next_key.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EEXIST, EINVAL, ENOENT, ENOSPC } from '../../core/maps';
import { h, lpmKey, mk, toHex, walk } from './util';

const ip = (s: string) => s.split('.').map(Number);
const key = (cidr: string) => {
  const [addr, len] = cidr.split('/');
  return lpmKey(Number(len ?? 32), ...ip(addr));
};
const val = (n: number) => Uint8Array.of(n, 0, 0, 0);

function trie(prefixes: [string, number][], max = 16) {
  const m = mk('lpm_trie', { maxEntries: max });
  for (const [p, n] of prefixes) assert.equal(m.update(key(p), val(n), 0, 0), 0, p);
  return m;
}

const found = (m: ReturnType<typeof trie>, addr: string) => (m.lookup(key(addr), 0) ?? [0])[0];

test('lpm_trie: the longest of overlapping prefixes wins', () => {
  const m = trie([['10.0.0.0/8', 1], ['10.1.0.0/16', 2], ['10.1.2.0/24', 3], ['10.1.2.128/25', 4], ['0.0.0.0/0', 9]]);
  const cases: [string, number][] = [
    ['10.1.2.200', 4], ['10.1.2.5', 3], ['10.1.3.1', 2], ['10.200.0.1', 1], ['11.0.0.1', 9], ['10.1.2.128', 4],
  ];
  for (const [addr, want] of cases) assert.equal(found(m, addr), want, addr);
  // A key's own prefix length caps the match: 10.1.2.200/20 cannot use the /24 or /25.
  assert.equal(found(m, '10.1.2.200/20'), 2);
  assert.equal(found(m, '10.1.2.200/0'), 9);
});

test('lpm_trie: no covering prefix is NULL; a prefix length past the maximum is NULL', () => {
  const m = trie([['192.168.0.0/16', 1]]);
  assert.equal(m.lookup(key('192.169.0.1'), 0), undefined);
  assert.equal(m.lookup(lpmKey(33, 192, 168, 0, 1), 0), undefined);
  assert.equal(m.sysLookup(key('10.0.0.1')), ENOENT);
  assert.equal(toHex(m.sysLookup(key('192.168.7.7')) as Uint8Array), '01000000', 'bpf(2) lookups match prefixes too');
});

test('lpm_trie: update codes (trie_update_elem, trie_check_add_elem)', () => {
  const m = trie([['10.0.0.0/8', 1]], 2);
  assert.equal(m.update(key('10.0.0.0/8'), val(2), 1, 0), EEXIST);
  assert.equal(m.update(key('10.0.0.0/8'), val(2), 2, 0), 0);
  assert.equal(m.update(key('11.0.0.0/8'), val(2), 2, 0), ENOENT);
  assert.equal(m.update(key('11.0.0.0/8'), val(2), 3, 0), EINVAL);
  assert.equal(m.update(key('11.0.0.0/8'), val(2), 4, 0), EINVAL, 'no BPF_F_LOCK for tries');
  assert.equal(m.update(lpmKey(33, 1, 2, 3, 4), val(2), 0, 0), EINVAL);
  assert.equal(m.update(key('11.0.0.0/8'), val(2), 0, 0), 0);
  assert.equal(m.update(key('12.0.0.0/8'), val(3), 0, 0), ENOSPC, 'full: ENOSPC since 6.13');
  assert.equal(m.update(key('12.0.0.0/8'), val(3), 2, 0), ENOENT, 'BPF_EXIST is checked before fullness');
  assert.equal(m.update(key('11.0.0.0/8'), val(4), 0, 0), 0, 'a present prefix can be replaced when full');
});

test('lpm_trie: bits after the prefix length do not make a different element', () => {
  const m = trie([['10.1.2.3/8', 1]]);
  assert.equal(m.update(key('10.9.9.9/8'), val(2), 1, 0), EEXIST);
  assert.equal(m.update(key('10.9.9.9/8'), val(2), 0, 0), 0);
  // The element keeps the data bytes of the update that last wrote it.
  assert.deepEqual(walk(m), ['080000000a090909']);
  assert.equal(m.delete(key('10.0.0.0/8')), 0);
  assert.deepEqual(walk(m), []);
});

test('lpm_trie: delete needs the exact prefix', () => {
  const m = trie([['10.0.0.0/8', 1], ['10.1.0.0/16', 2]]);
  assert.equal(m.delete(key('10.1.0.0/24')), ENOENT);
  assert.equal(m.delete(key('10.1.0.0/12')), ENOENT);
  assert.equal(m.delete(lpmKey(40, 10, 0, 0, 0)), EINVAL);
  assert.equal(m.delete(key('10.1.0.0/16')), 0);
  assert.equal(found(m, '10.1.1.1'), 1);
});

test('lpm_trie: get_next_key follows the kernel postorder (the example of lpm_trie.c)', () => {
  const m = trie([['192.168.0.0/16', 1], ['192.168.0.0/24', 2], ['192.168.128.0/24', 3], ['192.168.1.0/24', 5]]);
  const order = walk(m).map((hex) => {
    const b = h(hex);
    return `${b[4]}.${b[5]}.${b[6]}.${b[7]}/${b[0]}`;
  });
  assert.deepEqual(order, ['192.168.0.0/24', '192.168.1.0/24', '192.168.128.0/24', '192.168.0.0/16']);
  assert.deepEqual(m.entries().map((e) => (e.value as Uint8Array)[0]), [2, 5, 3, 1]);
  // A key that is not there, or a bad prefix length, starts from the first.
  assert.equal(toHex(m.getNextKey(key('1.2.3.4/32')) as Uint8Array), toHex(key('192.168.0.0/24')));
  assert.equal(toHex(m.getNextKey(lpmKey(99, 0, 0, 0, 0)) as Uint8Array), toHex(key('192.168.0.0/24')));
  assert.equal(m.getNextKey(key('192.168.0.0/16')), ENOENT);
  assert.equal(mk('lpm_trie').getNextKey(undefined), ENOENT);
});

test('lpm_trie: postorder across unrelated subtrees and a default route', () => {
  const m = trie([['0.0.0.0/0', 0], ['128.0.0.0/1', 1], ['10.0.0.0/8', 2], ['10.128.0.0/9', 3], ['10.0.0.0/9', 4], ['200.0.0.0/8', 5]]);
  assert.deepEqual(m.entries().map((e) => (e.value as Uint8Array)[0]), [4, 3, 2, 5, 1, 0]);
});

test('lpm_trie: a lookup is the element storage', () => {
  const m = trie([['10.0.0.0/8', 1]]);
  const v = m.lookup(key('10.2.3.4'), 0) as Uint8Array;
  v[1] = 7;
  assert.equal(toHex(m.sysLookup(key('10.0.0.0/8')) as Uint8Array), '01070000');
  m.update(key('10.0.0.0/8'), val(9), 0, 0);
  assert.equal(v[0], 9);
});
