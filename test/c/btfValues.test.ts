/**
 * Map values decoded through the BTF clang writes (core/debug/btfValues.ts): bitfields, enums,
 * nested structs and unions, as declared in C. Skips without clang-19.
 */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readElf } from '../../core/elf/read';
import { decodeBtfValue, mapBtfTypes } from '../../core/debug/btfValues';
import { buildC, noClang } from './build';

const SOURCE = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
enum color { RED = 1, GREEN = 2 };
struct inner { __u16 lo; __u16 hi; };
struct flags { __u32 kind : 3; __u32 on : 1; __s32 level : 4; __u32 rest : 24; };
struct value {
	enum color color;
	struct flags f;
	struct inner pair[2];
	union { __u32 word; __u8 bytes[4]; } u;
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct value);
} values SEC(".maps");
SEC("xdp") int prog(struct xdp_md *ctx) { __u32 k = 0; return bpf_map_lookup_elem(&values, &k) ? 1 : 2; }
char LICENSE[] SEC("license") = "GPL";
`;

let dir: string;
before(() => { if (!noClang) dir = mkdtempSync(join(tmpdir(), 'c-btfvalues-')); });
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

test('clang\'s BTF: an enum by name, bitfields by their bits, nested structs and a union', { skip: noClang }, () => {
  const { obj } = buildC(dir, 'values.bpf.c', SOURCE);
  const types = mapBtfTypes(readElf(readFileSync(obj)).object).get('values');
  assert.ok(types?.value !== undefined, 'the map has a BTF value type');
  const bytes = Buffer.alloc(20);
  bytes.writeUInt32LE(2, 0);
  // kind = 5, on = 1, level = -3 (0b1101), rest = 0x123456
  bytes.writeUInt32LE(5 | (1 << 3) | (0b1101 << 4) | (0x123456 << 8), 4);
  bytes.writeUInt16LE(7, 8); bytes.writeUInt16LE(8, 10); bytes.writeUInt16LE(9, 12); bytes.writeUInt16LE(10, 14);
  bytes.writeUInt32LE(0x64636261, 16);
  const v = decodeBtfValue(types.types, types.value!, new Uint8Array(bytes), 'value');
  assert.equal(v.type, 'struct value');
  const [color, f, pair, u] = v.children!;
  assert.equal(color.value, 'GREEN (2)');
  assert.deepEqual(f.children!.map((c) => [c.name, c.type, c.value]), [
    ['kind', '__u32:3', '0x5 (5)'], ['on', '__u32:1', '0x1 (1)'], ['level', '__s32:4', '0xd (-3)'], ['rest', '__u32:24', '0x123456 (1193046)'],
  ]);
  assert.equal(pair.value, '[{lo: 7, hi: 8}, {lo: 9, hi: 10}]');
  assert.deepEqual(u.children!.map((c) => [c.name, c.value]), [['word', '0x64636261 (1684234849)'], ['bytes', '[0x61 (97), 0x62 (98), 0x63 (99), 0x64 (100)]']]);
});
