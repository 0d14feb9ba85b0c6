/** Bytes decoded through BTF for the debugger (core/debug/btfValues.ts): structs, arrays, strings, network order, map entries. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BtfBuilder, parseBtf } from '../../core/btf';
import { decodeBtfValue, typedMapEntry } from '../../core/debug/btfValues';

/** struct entry { char name[8]; __be16 port; __u16 pad; __s32 delta; __u64 hits[2]; } (28 bytes, padded to 32). */
function entryTypes() {
  const b = new BtfBuilder();
  const char = b.int('char', 1, { signed: true, char: true });
  const u16 = b.int('unsigned short', 2);
  const s32 = b.int('int', 4, { signed: true });
  const u64 = b.int('unsigned long long', 8);
  const idx = b.int('__ARRAY_SIZE_TYPE__', 4);
  const be16 = b.typedef('__be16', b.typedef('__u16', u16));
  const entry = b.struct('entry', 32, [
    { name: 'name', type: b.array(char, idx, 8), bitOffset: 0 },
    { name: 'port', type: be16, bitOffset: 64 },
    { name: 'pad', type: u16, bitOffset: 80 },
    { name: 'delta', type: s32, bitOffset: 96 },
    { name: 'hits', type: b.array(u64, idx, 2), bitOffset: 128 },
  ]);
  return { types: parseBtf(b.build()).types, entry, s32 };
}

function entryBytes(): Uint8Array {
  const buf = Buffer.alloc(32);
  buf.write('web', 0, 'latin1');
  buf.writeUInt16BE(8080, 8);
  buf.writeInt32LE(-5, 12);
  buf.writeBigUInt64LE(3n, 16);
  buf.writeBigUInt64LE(1n << 40n, 24);
  return new Uint8Array(buf);
}

test('a struct decodes as its named fields: a char array as a string, __be16 in network order, signed ints, arrays', () => {
  const { types, entry } = entryTypes();
  const v = decodeBtfValue(types, entry, entryBytes(), 'value');
  assert.equal(v.type, 'struct entry');
  assert.deepEqual(v.children!.map((c) => [c.name, c.type, c.value]), [
    ['name', 'char [8]', '"web"'],
    ['port', '__be16', '0x1f90 (8080)'],
    ['pad', 'unsigned short', '0x0 (0)'],
    ['delta', 'int', '0xfffffffb (-5)'],
    ['hits', 'unsigned long long [2]', '[0x3 (3), 0x10000000000 (1099511627776)]'],
  ]);
  assert.deepEqual(v.children![4].children!.map((c) => c.name), ['[0]', '[1]']);
  assert.equal(v.value, '{name: "web", port: 8080, pad: 0, delta: -5, hits: [0x3 (3), 0x10000000000 (1099511627776)]}');
});

test('bytes missing at the end decode as <missing>, not as zeros', () => {
  const { types, entry } = entryTypes();
  const v = decodeBtfValue(types, entry, entryBytes().subarray(0, 16));
  assert.deepEqual(v.children!.map((c) => c.value).slice(3), ['0xfffffffb (-5)', '<missing>']);
});

test('a map entry: key and value children, or one child per CPU for a per-CPU map', () => {
  const { types, entry, s32 } = entryTypes();
  const key = Uint8Array.of(7, 0, 0, 0);
  const one = typedMapEntry({ key, value: entryBytes(), keyText: '0x7 (7)', valueText: '' }, { types, key: s32, value: entry })!;
  assert.equal(one.name, '0x7 (7)');
  assert.deepEqual(one.children!.map((c) => [c.name, c.value.slice(0, 12)]), [['key', '0x7 (7)'], ['value', '{name: "web"']]);
  const perCpu = typedMapEntry({ key, value: undefined, values: [entryBytes(), new Uint8Array(32)], keyText: '0x7 (7)', valueText: '' }, { types, key: s32, value: entry })!;
  assert.deepEqual(perCpu.children!.map((c) => c.name), ['key', 'cpu0', 'cpu1']);
  assert.match(perCpu.value, /^cpu0: \{name: "web", .*\}, cpu1: \{name: "", port: 0, /);
  // No value type, or no bytes (a failed lookup): nothing to decode.
  assert.equal(typedMapEntry({ key, value: entryBytes(), keyText: '', valueText: '' }, { types, key: s32 }), undefined);
  assert.equal(typedMapEntry({ key, value: undefined, keyText: '', valueText: '' }, { types, key: s32, value: entry }), undefined);
});
