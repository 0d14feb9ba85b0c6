/**
 * The BTF reader, the builder and the type queries: every kind read back as encoded (by
 * an encoder written separately in rawBtf.ts), the builder's output read back and checked
 * by libbpf (bpftool btf dump), broken blobs reported without throwing, and the kernel's
 * own vmlinux BTF read in full.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTool, run } from '../tools';
import { RawBtf, RawType } from './rawBtf';
import { parseBtf } from '../../core/btf/parse';
import { BtfBuilder } from '../../core/btf/build';
import { findType, resolveType, typeName, typeSize } from '../../core/btf/query';
import { BtfType, BTF_KINDS } from '../../core/btf/types';

/** One type of every kind, ids 1..19 in kind order (kind number = id). */
function everyKind(): { raw: RawBtf; list: RawType[] } {
  const raw = new RawBtf();
  const list: RawType[] = [
    { name: 'int', kind: 1, sizeOrType: 4, extra: [(1 << 24) | 32] },
    { kind: 2, sizeOrType: 1 },
    { kind: 3, sizeOrType: 0, extra: [1, 1, 5] },
    { name: 'pair', kind: 4, vlen: 2, sizeOrType: 8, extra: ['a', 1, 0, 'b', 1, 32] },
    { name: 'u', kind: 5, vlen: 2, kflag: true, sizeOrType: 4, extra: ['x', 1, (3 << 24) | 5, 'y', 1, 0] },
    { name: 'color', kind: 6, vlen: 2, kflag: true, sizeOrType: 4, extra: ['RED', -1, 'BLUE', 2] },
    { name: 'later', kind: 7, kflag: true, sizeOrType: 0 },
    { name: 'myint', kind: 8, sizeOrType: 1 },
    { kind: 9, sizeOrType: 1 },
    { kind: 10, sizeOrType: 9 },
    { kind: 11, sizeOrType: 2 },
    { kind: 13, vlen: 2, sizeOrType: 1, extra: ['p', 2, '', 0] },
    { name: 'f', kind: 12, vlen: 1, sizeOrType: 12 },
    { name: 'v', kind: 14, sizeOrType: 4, extra: [1] },
    { name: '.data', kind: 15, vlen: 1, sizeOrType: 8, extra: [14, 0, 8] },
    { name: 'double', kind: 16, sizeOrType: 8 },
    { name: 'tag', kind: 17, sizeOrType: 4, extra: [-1] },
    { name: 'user', kind: 18, sizeOrType: 1 },
    { name: 'big', kind: 19, vlen: 1, sizeOrType: 8, extra: ['HUGE', 0x89abcdef, 0x01234567] },
  ];
  return { raw, list };
}

test('every BTF kind reads back as encoded', () => {
  const { raw, list } = everyKind();
  const btf = parseBtf(raw.blob(list));
  assert.deepEqual(btf.diagnostics, []);
  assert.equal(btf.types.length, list.length + 1);
  const t = btf.types;
  for (let id = 1; id < t.length; id++) {
    assert.equal(t[id].id, id);
    assert.equal(t[id].name, list[id - 1].name ?? '', `name of [${id}]`);
  }
  const kinds = t.slice(1).map((x) => x.kind);
  assert.deepEqual(kinds, ['int', 'ptr', 'array', 'struct', 'union', 'enum', 'fwd', 'typedef', 'volatile', 'const', 'restrict',
    'func_proto', 'func', 'var', 'datasec', 'float', 'decl_tag', 'type_tag', 'enum64']);
  assert.deepEqual(pick(t[1], ['size', 'encoding', 'bits', 'bitOffset']), { size: 4, encoding: 1, bits: 32, bitOffset: 0 });
  assert.deepEqual(pick(t[3], ['type', 'indexType', 'nelems']), { type: 1, indexType: 1, nelems: 5 });
  assert.deepEqual(pick(t[4], ['size', 'kflag', 'members']), {
    size: 8, kflag: false,
    members: [{ name: 'a', type: 1, bitOffset: 0, bitfieldSize: 0 }, { name: 'b', type: 1, bitOffset: 32, bitfieldSize: 0 }],
  });
  // kind_flag set: the member offset's top byte is the bitfield size.
  assert.deepEqual(pick(t[5], ['members']), {
    members: [{ name: 'x', type: 1, bitOffset: 5, bitfieldSize: 3 }, { name: 'y', type: 1, bitOffset: 0, bitfieldSize: 0 }],
  });
  assert.deepEqual(pick(t[6], ['signed', 'values']), { signed: true, values: [{ name: 'RED', value: -1n }, { name: 'BLUE', value: 2n }] });
  assert.deepEqual(pick(t[7], ['union']), { union: true });
  assert.deepEqual(pick(t[12], ['type', 'params']), { type: 1, params: [{ name: 'p', type: 2 }, { name: '', type: 0 }] });
  assert.deepEqual(pick(t[13], ['type', 'linkage']), { type: 12, linkage: 1 });
  assert.deepEqual(pick(t[14], ['type', 'linkage']), { type: 4, linkage: 1 });
  assert.deepEqual(pick(t[15], ['size', 'vars']), { size: 8, vars: [{ type: 14, offset: 0, size: 8 }] });
  assert.deepEqual(pick(t[16], ['size']), { size: 8 });
  assert.deepEqual(pick(t[17], ['type', 'componentIdx']), { type: 4, componentIdx: -1 });
  assert.deepEqual(pick(t[18], ['type']), { type: 1 });
  assert.deepEqual(pick(t[19], ['signed', 'values']), { signed: false, values: [{ name: 'HUGE', value: 0x0123456789abcdefn }] });
});

test('type queries: resolve, size, C spelling', () => {
  const { raw, list } = everyKind();
  const t = parseBtf(raw.blob(list)).types;
  assert.equal(resolveType(t, 10)?.id, 1, 'const -> volatile -> int');
  assert.equal(resolveType(t, 8)?.id, 1, 'typedef -> int');
  assert.equal(resolveType(t, 99), undefined);
  assert.equal(typeSize(t, 1), 4);
  assert.equal(typeSize(t, 2), 8, 'pointers are 8 bytes for BPF');
  assert.equal(typeSize(t, 3), 20, 'int[5]');
  assert.equal(typeSize(t, 4), 8);
  assert.equal(typeSize(t, 10), 4, 'through modifiers');
  assert.equal(typeSize(t, 14), 8, 'a VAR has its type\'s size');
  assert.equal(typeSize(t, 19), 8);
  for (const sizeless of [0, 7, 12, 13]) assert.equal(typeSize(t, sizeless), undefined, `[${sizeless}] has no size`);
  assert.equal(typeName(t, 1), 'int');
  assert.equal(typeName(t, 2), 'int *');
  assert.equal(typeName(t, 3), 'int [5]');
  assert.equal(typeName(t, 4, 'p'), 'struct pair p');
  assert.equal(typeName(t, 10), 'const volatile int');
  assert.equal(typeName(t, 11, 'q'), 'int *restrict q');
  assert.equal(typeName(t, 13), 'int f(int *p, ...)');
  assert.equal(typeName(t, 6), 'enum color');
  assert.equal(typeName(t, 7), 'union later');
  assert.equal(findType(t, 'pair', 'struct')?.id, 4);
  assert.equal(findType(t, 'pair', 'union'), undefined);
});

test('builder output reads back, and libbpf reads it too', () => {
  const b = new BtfBuilder();
  const int = b.int('int', 4, { signed: true });
  const u8 = b.int('unsigned char', 1, { char: true });
  const idx = b.int('__ARRAY_SIZE_TYPE__', 4);
  const arr = b.array(u8, idx, 16);
  const pArr = b.ptr(b.array(int, idx, 7));
  const st = b.struct('rec', 24, [{ name: 'n', type: int, bitOffset: 0 }, { name: 'bytes', type: arr, bitOffset: 32 }, { name: 'p', type: pArr, bitOffset: 128 }]);
  const td = b.typedef('rec_t', st);
  const cv = b.const(b.volatile(int));
  const proto = b.funcProto(int, [{ name: 'ctx', type: b.ptr(st) }]);
  const fn = b.func('prog', proto);
  const v1 = b.var('g', td);
  const v2 = b.var('k', cv);
  const ds = b.datasec('.data', 32, [{ type: v1, offset: 0, size: 24 }, { type: v2, offset: 24, size: 4 }]);
  const bytes = b.build();
  const btf = parseBtf(bytes);
  assert.deepEqual(btf.diagnostics, []);
  assert.equal(btf.types.length, ds + 1);
  const t = btf.types;
  assert.deepEqual(pick(t[u8], ['name', 'size', 'encoding']), { name: 'unsigned char', size: 1, encoding: 2 });
  assert.equal(typeName(t, pArr), 'int (*)[7]');
  assert.equal(typeSize(t, st), 24);
  assert.equal(typeSize(t, td), 24);
  assert.equal(typeName(t, cv), 'const volatile int');
  assert.equal(typeName(t, fn), 'int prog(struct rec *ctx)');
  assert.deepEqual(pick(t[ds], ['name', 'size', 'vars']), { name: '.data', size: 32, vars: [{ type: v1, offset: 0, size: 24 }, { type: v2, offset: 24, size: 4 }] });
  // Strings are stored once: 'int' appears once in the string section.
  const strs = Buffer.from(btf.strings).toString('latin1').split('\0');
  assert.equal(strs.filter((s) => s === 'int').length, 1);

  const bpftool = findTool('bpftool');
  if (!bpftool) return;
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-btf-'));
  try {
    const file = join(dir, 'raw.btf');
    writeFileSync(file, bytes);
    const r = run(bpftool, ['-j', 'btf', 'dump', 'file', file]);
    assert.equal(r.status, 0, r.stderr);
    const dumped = JSON.parse(r.stdout).types as { id: number; kind: string; name: string }[];
    assert.deepEqual(dumped.map((d) => [d.id, d.kind.toLowerCase(), d.name === '(anon)' ? '' : d.name]),
      t.slice(1).map((x) => [x.id, x.kind, x.name]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reference cycles end instead of looping', () => {
  const raw = new RawBtf();
  const t = parseBtf(raw.blob([{ name: 'a', kind: 8, sizeOrType: 2 }, { name: 'b', kind: 8, sizeOrType: 1 }, { kind: 2, sizeOrType: 3 }])).types;
  assert.equal(resolveType(t, 1), undefined);
  assert.equal(typeSize(t, 1), undefined);
  assert.equal(typeSize(t, 3), 8, 'a pointer to a cycle still has a size');
  assert.match(typeName(t, 1), /^a( .*)?$/);
  const self = parseBtf(raw.blob([{ kind: 2, sizeOrType: 1 }])).types;
  assert.match(typeName(self, 1), /\?/, 'a pointer to itself prints a ? when the depth runs out');
});

test('broken BTF yields diagnostics and what was read before the fault', async (t) => {
  const good = () => {
    const raw = new RawBtf();
    return raw.blob([{ name: 'int', kind: 1, sizeOrType: 4, extra: [32] }, { kind: 2, sizeOrType: 1 }, { kind: 3, sizeOrType: 0, extra: [1, 1, 4] }]);
  };
  const cases: [string, (b: Buffer) => Buffer, RegExp, number][] = [
    ['too short', (b) => b.subarray(0, 10), /shorter than its 24-byte header/, 1],
    ['bad magic', (b) => (b.writeUInt16LE(0x1234, 0), b), /magic is 0x1234/, 1],
    ['big-endian', (b) => (b.writeUInt16LE(0x9feb, 0), b), /big-endian/, 1],
    ['header length', (b) => (b.writeUInt32LE(4, 4), b), /header length 4/, 1],
    ['type section outside', (b) => (b.writeUInt32LE(0xfffff, 12), b), /type section .* runs past/, 1],
    ['string section outside', (b) => (b.writeUInt32LE(0xfffff, 20), b), /string section .* runs past/, 4],
    ['truncated type', (b) => (b.writeUInt32LE(12 + 16 + 20, 12), b), /\[3\] \(array\) is truncated/, 3],
    ['unknown kind', (b) => (b.writeUInt32LE(25 << 24, 24 + 28 + 4), b), /\[3\] has unknown kind 25/, 4],
    ['name outside strings', (b) => (b.writeUInt32LE(5000, 24), b), /\[1\]: name offset 5000 is outside/, 4],
    ['dangling reference', (b) => (b.writeUInt32LE(99, 24 + 16 + 8), b), /\[2\] \(ptr\) refers to type \[99\]/, 4],
  ];
  for (const [name, mutate, message, nTypes] of cases) {
    await t.test(name, () => {
      const btf = parseBtf(new Uint8Array(mutate(Buffer.from(good()))));
      assert.ok(btf.diagnostics.some((d) => d.code === 'btf' && message.test(d.message)), JSON.stringify(btf.diagnostics));
      assert.equal(btf.types.length, nTypes, 'types read (void included)');
    });
  }
});

test('the running kernel\'s vmlinux BTF reads in full', (t) => {
  const path = '/sys/kernel/btf/vmlinux';
  if (!existsSync(path)) return t.skip(`${path} not found`);
  const btf = parseBtf(new Uint8Array(readFileSync(path)));
  assert.deepEqual(btf.diagnostics, []);
  // struct xdp_md is six __u32 fields (include/uapi/linux/bpf.h).
  const xdp = findType(btf.types, 'xdp_md', 'struct') as BtfType & { members: { name: string }[] };
  assert.equal(typeSize(btf.types, xdp.id), 24);
  assert.deepEqual(xdp.members.map((m) => m.name), ['data', 'data_end', 'data_meta', 'ingress_ifindex', 'rx_queue_index', 'egress_ifindex']);
  for (const x of btf.types) assert.ok(BTF_KINDS.includes(x.kind as never), `kind ${x.kind} of [${x.id}]`);
  const bpftool = findTool('bpftool');
  if (bpftool) {
    const r = run(bpftool, ['btf', 'dump', 'file', path]);
    const last = /^\[(\d+)\]/m.exec(r.stdout.slice(r.stdout.lastIndexOf('\n[')))?.[1];
    assert.equal(btf.types.length - 1, Number(last), 'as many types as bpftool lists');
  }
});

function pick(t: BtfType, keys: string[]): Record<string, unknown> {
  const rec = t as unknown as Record<string, unknown>;
  return Object.fromEntries(keys.map((k) => [k, rec[k]]));
}
