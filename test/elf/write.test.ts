/**
 * writeElf: an object built here by hand (an XDP program using a hash map, an
 * array_of_maps and global data, calling a .text subprogram) is written, read back, read
 * by llvm-objdump-19 -d -r and llvm-readelf-19, and loaded by bpftool into the running
 * kernel (root only), whose view of the maps must match the definitions. An object clang
 * compiled goes through read → write and must keep its instructions and relocations.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canLoadBpf, findTool, missingTools, run } from '../tools';
import { compileC, objdumpSlots, readelf, tempDir } from './objects';
import { readElf } from '../../core/elf/read';
import { writeElf, writeElfChecked } from '../../core/elf/write';
import { Insn, insn, slotHex } from '../../core/isa/insn';
import { BpfObject, emptyObject } from '../../core/object';
import { MAPS, handObject } from './sample';

/** The slots as clang leaves them: a relocated lddw or call carries no reference in its bytes. */
function expectedSlots(obj: BpfObject, sec: string, fix: (i: Insn, idx: number) => void = () => {}): string[] {
  const s = obj.sections.find((x) => x.name === sec)!;
  return s.insns.map((i, idx) => {
    const c = { ...i };
    fix(c, idx);
    return slotHex(c);
  });
}

test('a hand-built object reads back as written', () => {
  const obj = handObject();
  const { bytes, diagnostics } = writeElfChecked(obj);
  assert.deepEqual(diagnostics, []);
  const back = readElf(bytes);
  assert.deepEqual(back.diagnostics, []);
  assert.equal(back.object.license, obj.license);
  for (const name of ['xdp', '.text']) {
    const a = obj.sections.find((s) => s.name === name)!;
    const b = back.object.sections.find((s) => s.name === name)!;
    // map_value: the writer puts the offset in the lddw's imm, as clang does for a section symbol.
    const want = expectedSlots(obj, name, (i, idx) => { if (name === 'xdp' && idx === 12) i.imm = 0; });
    assert.deepEqual(b.insns.map(slotHex), want);
    assert.deepEqual(b.relocs.map(({ insnIdx, kind, symbol, addend }) => ({ insnIdx, kind, symbol, addend })), a.relocs);
  }
  assert.deepEqual([...back.object.sections.find((s) => s.name === '.data')!.data], [...obj.sections[2].data]);
  // The inner map comes back under libbpf's name for it, with the same definition.
  const inner = MAPS.find((m) => m.name === 'inner_tmpl')!;
  assert.deepEqual(back.object.maps, [
    MAPS[0], inner, { ...MAPS[2], inner: 'outer.inner' }, { ...inner, name: 'outer.inner' },
  ]);
  const prog = back.object.symbols.find((s) => s.name === 'count_prog')!;
  assert.deepEqual([prog.kind, prog.global, prog.size], ['func', true, 18 * 8], 'the program covers its section');
  assert.deepEqual(back.object.symbols.find((s) => s.name === 'done'), { name: 'done', section: 'xdp', offset: 128, size: 0, global: false, kind: 'label' });
  const sub = back.object.symbols.find((s) => s.name === 'sub')!;
  assert.deepEqual([sub.kind, sub.size], ['func', 16]);
});

test('problems the writer cannot express are reported', () => {
  const obj = handObject();
  obj.sections[0].relocs.push({ insnIdx: 9, kind: 'map', symbol: 'nosuch', addend: 0 });
  obj.sections[0].relocs[2] = { insnIdx: 12, kind: 'map_value', symbol: 'counts', addend: 0 };
  obj.maps.push({ name: 'lonely', type: 'hash_of_maps', keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 });
  const { bytes, diagnostics } = writeElfChecked(obj);
  const messages = diagnostics.map((d) => d.message);
  assert.ok(messages.some((m) => /refers to map 'nosuch', which the object does not define/.test(m)), messages.join('\n'));
  assert.ok(messages.some((m) => /map_value reference to map 'counts' cannot be written/.test(m)), messages.join('\n'));
  assert.ok(messages.some((m) => /map 'lonely' is a hash_of_maps without an inner map/.test(m)), messages.join('\n'));
  assert.ok(diagnostics.every((d) => d.code === 'elf' && d.severity === 'error'));
  assert.ok(readElf(bytes).object.sections.length > 0, 'what could be written still reads');
});

test('a program section without a function symbol gets a program named after it', () => {
  const obj = emptyObject();
  obj.sections.push({ name: 'kprobe/do_sys_open', kind: 'code', insns: [insn(0xb7), insn(0x95)], data: new Uint8Array(0), lines: [], relocs: [] });
  const back = readElf(writeElf(obj)).object;
  assert.deepEqual(back.symbols.filter((s) => s.kind === 'func').map((s) => [s.name, s.section, s.offset, s.size, s.global]),
    [['kprobe_do_sys_open', 'kprobe/do_sys_open', 0, 16, true]]);
});

/** .text without symbols: a call from xdp to its slot 2 (as clang calls a static function), and a call inside .text to slot 4. */
function unnamedTextObject(): BpfObject {
  const obj = emptyObject();
  const text = [insn(0xb7, 0, 0, 0, 1), insn(0x95), insn(0x85, 0, 1, 0, 1), insn(0x95), insn(0xb7, 0, 0, 0, 3), insn(0x95)];
  obj.sections.push(
    { name: 'xdp', kind: 'code', insns: [insn(0x85, 0, 1, 0, -1), insn(0xb7, 0, 0, 0, 2), insn(0x95)], data: new Uint8Array(0), lines: [],
      relocs: [{ insnIdx: 0, kind: 'call', symbol: '.text', addend: 16 }] },
    { name: '.text', kind: 'code', insns: text, data: new Uint8Array(0), lines: [], relocs: [] },
  );
  obj.symbols.push({ name: 'entry', section: 'xdp', offset: 0, size: 0, global: true, kind: 'func' });
  return obj;
}

test('every call into .text lands on a function symbol, as libbpf needs', () => {
  const back = readElf(writeElf(unnamedTextObject()));
  assert.deepEqual(back.diagnostics, []);
  const funcs = back.object.symbols.filter((s) => s.section === '.text' && s.kind === 'func').map((s) => [s.offset, s.size]);
  // The start of .text, the relocation's target (slot 2) and the in-section call's target (slot 4).
  assert.deepEqual(funcs, [[0, 16], [16, 16], [32, 16]]);
  const call = back.object.sections.find((s) => s.name === 'xdp')!.relocs[0];
  assert.deepEqual([call.symbol, call.addend, back.object.sections[0].insns[0].imm], ['.text', 16, 1], 'imm = offset / 8 - 1 against the section symbol');
});

const skipLlvm = missingTools('llvm-objdump-19', 'llvm-readelf-19');

test('llvm-objdump-19 and llvm-readelf-19 read the written object', (t) => {
  if (skipLlvm) return t.skip(skipLlvm);
  const tmp = tempDir();
  try {
    const obj = handObject();
    const path = join(tmp.dir, 'hand.o');
    writeFileSync(path, writeElf(obj));
    const re = readelf(path);
    assert.equal(re.stderr, '');
    assert.deepEqual(re.relocs.map((r) => [r.section, r.offset / 8, r.type, r.symbol]), [
      ['xdp', 4, 'R_BPF_64_64', 'counts'], ['xdp', 9, 'R_BPF_64_64', 'outer'], ['xdp', 12, 'R_BPF_64_64', 'gvar'], ['xdp', 15, 'R_BPF_64_32', 'sub'],
    ]);
    const syms = (name: string) => re.symbols.find((s) => s.name === name);
    assert.deepEqual([syms('count_prog')?.type, syms('count_prog')?.bind], ['FUNC', 'GLOBAL']);
    assert.deepEqual([syms('done')?.type, syms('done')?.bind], ['NOTYPE', 'LOCAL']);
    for (const m of ['counts', 'inner_tmpl', 'outer']) assert.deepEqual([syms(m)?.type, syms(m)?.bind], ['OBJECT', 'GLOBAL'], m);
    // ELF wants every LOCAL symbol before the first GLOBAL one.
    const firstGlobal = re.symbols.findIndex((s) => s.bind !== 'LOCAL');
    assert.ok(re.symbols.slice(firstGlobal).every((s) => s.bind !== 'LOCAL'));

    const dump = objdumpSlots(path);
    for (const name of ['xdp', '.text']) {
      const want = expectedSlots(obj, name, (i, idx) => { if (name === 'xdp' && idx === 12) i.imm = 0; });
      const got = dump.get(name)!.flatMap(([, hex]) => (hex.length > 24 ? [hex.slice(0, 23), hex.slice(24)] : [hex]));
      assert.deepEqual(got, want, name);
    }
    const r = run(findTool('llvm-objdump-19')!, ['-d', '-r', path]);
    const relLines = [...r.stdout.matchAll(/^\s+([0-9a-f]{16}):\s+(R_BPF_\S+)\s+(\S+)$/gm)].map((m) => [parseInt(m[1], 16) / 8, m[2], m[3]]);
    assert.deepEqual(relLines, [[4, 'R_BPF_64_64', 'counts'], [9, 'R_BPF_64_64', 'outer'], [12, 'R_BPF_64_64', 'gvar'], [15, 'R_BPF_64_32', 'sub']]);
    assert.match(r.stdout, /<count_prog>:/);
    assert.match(r.stdout, /<sub>:/);
  } finally {
    tmp.done();
  }
});

interface LoadedMap {
  name: string;
  type: string;
  bytes_key: number;
  bytes_value: number;
  max_entries: number;
}

/** Loads an object with bpftool, pinned under /sys/fs/bpf, and returns the maps its program uses. */
function bpftoolLoad(path: string): { maps: LoadedMap[]; progType: string } {
  const bpftool = findTool('bpftool')!;
  const pin = `/sys/fs/bpf/ebpf_workbench_test_${process.pid}`;
  try {
    const load = run(bpftool, ['-d', 'prog', 'load', path, pin]);
    assert.equal(load.status, 0, `bpftool prog load failed:\n${load.stderr.split('\n').slice(-30).join('\n')}`);
    // libbpf tolerates a .BTF the kernel refuses ("BTF is optional, ignoring"); we want it accepted.
    assert.doesNotMatch(load.stderr, /Error loading \.BTF|BTF loading error/);
    const prog = JSON.parse(run(bpftool, ['-j', 'prog', 'show', 'pinned', pin]).stdout) as { type: string; map_ids?: number[] };
    const maps = (prog.map_ids ?? []).map((id) => JSON.parse(run(bpftool, ['-j', 'map', 'show', 'id', String(id)]).stdout) as LoadedMap);
    return { maps, progType: prog.type };
  } finally {
    if (existsSync(pin)) rmSync(pin);
  }
}

function loadSkip(): string | undefined {
  return missingTools('bpftool') ?? (canLoadBpf() ? undefined : 'not root: bpf(2) program loading needs CAP_BPF');
}

test('bpftool loads the written object, and the kernel has its maps', (t) => {
  const skip = loadSkip();
  if (skip) return t.skip(skip);
  const tmp = tempDir();
  try {
    const path = join(tmp.dir, 'hand.o');
    writeFileSync(path, writeElf(handObject()));
    const { maps, progType } = bpftoolLoad(path);
    assert.equal(progType, 'xdp');
    const byName = new Map(maps.map((m) => [m.name, m]));
    for (const def of MAPS.filter((m) => m.name !== 'inner_tmpl')) {
      const m = byName.get(def.name);
      assert.ok(m, `map ${def.name} is used by the program (maps: ${[...byName.keys()].join(', ')})`);
      assert.deepEqual([m.type, m.bytes_key, m.bytes_value, m.max_entries], [def.type, def.keySize, def.valueSize, def.maxEntries], def.name);
    }
    // The global data of .data becomes an array map of its own, named after the section.
    assert.ok([...byName.keys()].some((n) => n.endsWith('.data')), [...byName.keys()].join(', '));

    // Subprograms reached only through offsets into .text load too (libbpf finds them).
    const path2 = join(tmp.dir, 'unnamed.o');
    writeFileSync(path2, writeElf(unnamedTextObject()));
    assert.equal(bpftoolLoad(path2).progType, 'xdp');
  } finally {
    tmp.done();
  }
});

test('a clang-19 object survives read → write: same code, relocations and loadable', (t) => {
  const skip = missingTools('clang-19', 'llvm-objdump-19', 'llvm-readelf-19');
  if (skip) return t.skip(skip);
  const tmp = tempDir();
  try {
    const built = compileC('xdp_maps.bpf.c', tmp.dir);
    const read = readElf(built.bytes);
    const written = writeElfChecked(read.object);
    assert.deepEqual(written.diagnostics, []);
    const path = join(tmp.dir, 'rewritten.o');
    writeFileSync(path, written.bytes);
    const before = objdumpSlots(built.path);
    const after = objdumpSlots(path);
    assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
    for (const [sec, slots] of before) assert.deepEqual(after.get(sec), slots, sec);
    const rel = (p: string, codeSecs: string[]) => readelf(p).relocs.filter((r) => codeSecs.includes(r.section)).map((r) => [r.section, r.offset, r.type, r.symbol]);
    const codeSecs = [...before.keys()];
    assert.deepEqual(rel(path, codeSecs), rel(built.path, codeSecs));

    if (loadSkip()) return;
    const { maps } = bpftoolLoad(path);
    const want = read.object.maps.filter((m) => !m.name.includes('.') && m.name !== 'inner_proto');
    for (const def of want) {
      const m = maps.find((x) => x.name === def.name);
      assert.ok(m, `map ${def.name} loaded`);
      assert.deepEqual([m.type, m.bytes_key, m.bytes_value, m.max_entries], [def.type, def.keySize, def.valueSize, def.maxEntries], def.name);
    }
  } finally {
    tmp.done();
  }
});
