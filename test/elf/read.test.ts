/**
 * readElf on objects built in the test by clang-19 and llvm-mc-19 from test/data/elf,
 * compared with llvm-readelf-19 -S -s -r (sections, symbols, relocations) and
 * llvm-objdump-19 -d (instruction bytes), and with what the sources say they define (maps,
 * license). Skips, naming the tool, when LLVM 19 is missing.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { missingTools } from '../tools';
import {
  Built, ReadelfSection, assembleS, compileC, expectedLicense, expectedMaps, objdumpSlots, readelf, tempDir,
} from './objects';
import { readElf } from '../../core/elf/read';
import { slotHex } from '../../core/isa/insn';
import { BpfObject, Reloc } from '../../core/object';

const skipC = missingTools('clang-19', 'llvm-readelf-19', 'llvm-objdump-19');
const skipS = missingTools('llvm-mc-19', 'llvm-readelf-19', 'llvm-objdump-19');

const R_TYPES: Record<string, number> = { R_BPF_64_64: 1, R_BPF_64_ABS64: 2, R_BPF_64_ABS32: 3, R_BPF_64_NODYLD32: 4, R_BPF_64_32: 10 };

/** Which sections a BPF loader keeps, judged from readelf's type and flag letters. */
function expectedKind(s: ReadelfSection): 'code' | 'data' | undefined {
  if (s.type === 'PROGBITS' && s.flags.includes('X')) return 'code';
  if ((s.type === 'PROGBITS' || s.type === 'NOBITS') && (s.flags.includes('A') || s.name === 'license')) return 'data';
  return undefined;
}

/** Everything readElf must agree with llvm-readelf and llvm-objdump on. */
function compareWithLlvm(built: Built, obj: BpfObject): void {
  const re = readelf(built.path);
  assert.equal(re.stderr, '', 'llvm-readelf-19 reads the object cleanly');
  const kept = re.sections.filter((s) => expectedKind(s));
  assert.deepEqual(obj.sections.map((s) => [s.name, s.kind]), kept.map((s) => [s.name, expectedKind(s)]));
  for (const s of kept) {
    const ours = obj.sections.find((x) => x.name === s.name)!;
    assert.equal(ours.kind === 'code' ? ours.insns.length * 8 : ours.data.length, s.size, `size of ${s.name}`);
  }

  // Symbols: each one in a kept section (or undefined, with a name) and not a FILE symbol.
  const secName = new Map(re.sections.map((s) => [String(s.index), s.name]));
  const keptNames = new Set(kept.map((s) => s.name));
  const want = re.symbols
    .filter((y) => y.index > 0 && y.type !== 'FILE' && (keptNames.has(secName.get(y.ndx) ?? '') || (y.ndx === 'UND' && y.name)))
    .map((y) => {
      const section = secName.get(y.ndx) ?? '';
      const code = kept.find((s) => s.name === section)?.flags.includes('X');
      const kind = { FUNC: 'func', OBJECT: 'object', SECTION: 'section' }[y.type] ?? (code ? 'label' : 'object');
      return { name: y.name, section, offset: y.value, size: y.size, global: y.bind !== 'LOCAL', kind };
    });
  const got = obj.symbols.map((s) => ({ name: s.name, section: s.section, offset: s.offset, size: s.size, global: s.global, kind: s.kind }));
  assert.deepEqual(sortBy(got), sortBy(want));

  // Relocations of code sections: same slot, type and symbol name.
  const codeNames = new Set(kept.filter((s) => s.flags.includes('X')).map((s) => s.name));
  const wantRel = re.relocs.filter((r) => codeNames.has(r.section)).map((r) => [r.section, r.offset / 8, R_TYPES[r.type], r.symbol]);
  const gotRel = obj.sections.flatMap((s) => s.relocs.map((r: Reloc) => [s.name, r.insnIdx, r.elfType, r.symbol]));
  assert.deepEqual(gotRel, wantRel);
  assert.ok(wantRel.length > 0, 'the object has relocations to compare');

  // Instruction bytes, slot by slot.
  const dump = objdumpSlots(built.path);
  for (const sec of obj.sections.filter((s) => s.kind === 'code' && s.insns.length > 0)) {
    const slots = dump.get(sec.name);
    assert.ok(slots, `llvm-objdump lists ${sec.name}`);
    for (const [slot, hex] of slots) {
      const ours = hex.length > 24 ? `${slotHex(sec.insns[slot])} ${slotHex(sec.insns[slot + 1])}` : slotHex(sec.insns[slot]);
      assert.equal(ours, hex, `${sec.name} slot ${slot}`);
    }
    const nSlots = slots.reduce((n, [, hex]) => n + (hex.length > 24 ? 2 : 1), 0);
    assert.equal(sec.insns.length, nSlots);
  }
}

function sortBy<T extends { name: string; section: string; offset: number }>(xs: T[]): T[] {
  return [...xs].sort((a, b) => `${a.section}\0${a.name}\0${a.offset}`.localeCompare(`${b.section}\0${b.name}\0${b.offset}`));
}

test('clang-19: XDP program with BTF-defined maps, a subprogram and global data', (t) => {
  if (skipC) return t.skip(skipC);
  const tmp = tempDir();
  try {
    const built = compileC('xdp_maps.bpf.c', tmp.dir);
    const { object, diagnostics } = readElf(built.bytes);
    assert.deepEqual(diagnostics, []);
    compareWithLlvm(built, object);
    const maps = object.maps.map(({ keyTypeId, valueTypeId, ...m }) => {
      assert.ok(keyTypeId! > 0, `${m.name} has a key type`);
      void valueTypeId;
      return m;
    });
    assert.deepEqual(sortBy(maps.map((m) => ({ ...m, section: '', offset: 0 }))), sortBy(expectedMaps(built.source).map((m) => ({ ...m, section: '', offset: 0 }))));
    assert.equal(object.license, expectedLicense(built.source));
    assert.ok(object.btf && object.btfExt, '.BTF and .BTF.ext are kept');
    // Every relocation kind the source gives rise to: maps, global data in each data section, a call into .text.
    const rel = object.sections.flatMap((s) => s.relocs.map((r) => `${s.name}:${r.kind}:${r.symbol}`));
    for (const want of ['xdp:map:counts', 'xdp:map:outer', 'xdp:map_value:packets_seen', 'xdp:call:.text', '.text:map_value:bytes_seen', '.text:map_value:drop_ifindex']) {
      assert.ok(rel.includes(want), `${want} in ${rel.join(', ')}`);
    }
    // The call's addend leads to the start of `classify`, the only function in .text.
    const call = object.sections.find((s) => s.name === 'xdp')!.relocs.find((r) => r.kind === 'call')!;
    const classify = object.symbols.find((s) => s.name === 'classify')!;
    assert.equal(classify.section, '.text');
    assert.equal(call.addend, classify.offset);
    const bss = object.sections.find((s) => s.name === '.bss')!;
    assert.ok(bss.data.every((b) => b === 0) && bss.data.length === 8, '.bss reads as zeros');
  } finally {
    tmp.done();
  }
});

test('clang-19: legacy maps section', (t) => {
  if (skipC) return t.skip(skipC);
  const tmp = tempDir();
  try {
    const built = compileC('legacy_maps.bpf.c', tmp.dir);
    const { object, diagnostics } = readElf(built.bytes);
    assert.deepEqual(diagnostics, []);
    compareWithLlvm(built, object);
    assert.deepEqual(object.maps, expectedMaps(built.source));
    assert.equal(object.license, expectedLicense(built.source));
    const kinds = object.sections.flatMap((s) => s.relocs.map((r) => `${r.kind}:${r.symbol}`)).sort();
    assert.deepEqual(kinds, expectedMaps(built.source).map((m) => `map:${m.name}`).sort());
  } finally {
    tmp.done();
  }
});

test('llvm-mc-19: calls, labels and a map symbol without BTF', (t) => {
  if (skipS) return t.skip(skipS);
  const tmp = tempDir();
  try {
    const built = assembleS('calls.s', tmp.dir);
    const { object, diagnostics } = readElf(built.bytes);
    // llvm-mc writes no BTF, so the .maps section cannot be described: said once, as an error.
    assert.deepEqual(diagnostics.map((d) => [d.code, d.severity, d.message]), [
      ['elf', 'error', 'section .maps holds BTF-defined maps, but the object has no .BTF section to describe them'],
    ]);
    compareWithLlvm(built, object);
    assert.equal(object.license, expectedLicense(built.source));
    const loop = object.symbols.find((s) => s.name === 'loop');
    assert.equal(loop?.kind, 'label');
    assert.equal(loop?.global, false);
    const call = object.sections.find((s) => s.name === 'tc')!.relocs.find((r) => r.kind === 'call');
    assert.deepEqual(call && { symbol: call.symbol, addend: call.addend }, { symbol: 'helper', addend: 0 });
  } finally {
    tmp.done();
  }
});
