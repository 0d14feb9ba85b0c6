/**
 * The `.BTF.ext` reader: a blob encoded here by hand reads back record for record; broken
 * blobs give diagnostics; and in an object clang-19 compiled, every line_info record names
 * the source file and carries the text of the very line it points to, and every func_info
 * record points at the FUNC whose ELF symbol starts at that offset.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { missingTools } from '../tools';
import { RawBtf } from './rawBtf';
import { compileC, tempDir } from '../elf/objects';
import { parseBtfExt } from '../../core/btf/ext';
import { parseBtf } from '../../core/btf/parse';
import { readElf } from '../../core/elf/read';

/** Encodes a .BTF.ext: header, then func_info, line_info and core_relo subsections. */
function encodeExt(raw: RawBtf, subs: { recSize: number; secs: { sec: string; recs: (number | string)[][] }[] }[]): Uint8Array {
  const parts: Buffer[] = [];
  const words = (ws: (number | string)[]) => {
    const b = Buffer.alloc(ws.length * 4);
    ws.forEach((w, i) => b.writeUInt32LE((typeof w === 'string' ? raw.str(w) : w) >>> 0, i * 4));
    return b;
  };
  const bodies = subs.map((s) => Buffer.concat([words([s.recSize]), ...s.secs.map((x) => Buffer.concat([words([x.sec, x.recs.length]), ...x.recs.map(words)]))]));
  const hdr = Buffer.alloc(32);
  hdr.writeUInt16LE(0xeb9f, 0);
  hdr.writeUInt8(1, 2);
  hdr.writeUInt32LE(32, 4);
  let off = 0;
  bodies.forEach((b, i) => {
    hdr.writeUInt32LE(off, 8 + i * 8);
    hdr.writeUInt32LE(b.length, 12 + i * 8);
    off += b.length;
  });
  parts.push(hdr, ...bodies);
  return new Uint8Array(Buffer.concat(parts));
}

function sampleExt(): { ext: Uint8Array; strings: Uint8Array } {
  const raw = new RawBtf();
  const ext = encodeExt(raw, [
    { recSize: 8, secs: [{ sec: 'xdp', recs: [[0, 5]] }, { sec: '.text', recs: [[0, 7], [48, 9]] }] },
    // A 20-byte line record: a newer compiler's extra field must be stepped over.
    { recSize: 20, secs: [{ sec: 'xdp', recs: [[0, 'a.c', 'int x = 1;', (12 << 10) | 5, 0xdead], [16, 'a.c', 'return x;', 13 << 10, 0xbeef]] }] },
    { recSize: 16, secs: [{ sec: 'xdp', recs: [[8, 3, '0:1', 0]] }] },
  ]);
  const strings = parseBtf(raw.blob([{ name: 'int', kind: 1, sizeOrType: 4, extra: [32] }])).strings;
  return { ext, strings };
}

test('.BTF.ext records read back as encoded', () => {
  const { ext, strings } = sampleExt();
  const r = parseBtfExt(ext, strings);
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.funcInfo, [
    { section: 'xdp', records: [{ byteOff: 0, typeId: 5 }] },
    { section: '.text', records: [{ byteOff: 0, typeId: 7 }, { byteOff: 48, typeId: 9 }] },
  ]);
  assert.deepEqual(r.lineInfo, [{
    section: 'xdp',
    records: [
      { byteOff: 0, file: 'a.c', lineText: 'int x = 1;', line: 12, col: 5 },
      { byteOff: 16, file: 'a.c', lineText: 'return x;', line: 13, col: 0 },
    ],
  }]);
  assert.deepEqual(r.coreRelo, [{ section: 'xdp', records: [{ byteOff: 8, typeId: 3, access: '0:1', kind: 0 }] }]);
});

test('broken .BTF.ext yields diagnostics, not exceptions', async (t) => {
  const { ext, strings } = sampleExt();
  const cases: [string, (b: Buffer) => Buffer, RegExp][] = [
    ['short', (b) => b.subarray(0, 12), /shorter than its 24-byte header/],
    ['magic', (b) => (b.writeUInt16LE(0x1111, 0), b), /magic is 0x1111/],
    ['record size', (b) => (b.writeUInt32LE(4, 32), b), /func_info record size 4 is invalid/],
    ['subsection outside', (b) => (b.writeUInt32LE(0x7fffffff, 12), b), /func_info .* runs past the end/],
    ['records past the end', (b) => (b.writeUInt32LE(1000, 32 + 4 + 4), b), /func_info: 1000 records .* run past/],
  ];
  for (const [name, mutate, message] of cases) {
    await t.test(name, () => {
      const r = parseBtfExt(new Uint8Array(mutate(Buffer.from(ext))), strings);
      assert.ok(r.diagnostics.some((d) => d.code === 'btf' && message.test(d.message)), JSON.stringify(r.diagnostics));
    });
  }
  await t.test('string outside', () => {
    const r = parseBtfExt(ext, strings.subarray(0, 3));
    assert.ok(r.diagnostics.some((d) => /offset \d+ is outside the BTF string section/.test(d.message)), JSON.stringify(r.diagnostics));
    assert.equal(r.lineInfo[0].records.length, 2, 'records are kept with empty strings');
  });
});

const skipClang = missingTools('clang-19');

test('line_info and func_info of a clang-19 object match its source and symbols', (t) => {
  if (skipClang) return t.skip(skipClang);
  const tmp = tempDir();
  try {
    const built = compileC('xdp_maps.bpf.c', tmp.dir);
    const { object, diagnostics } = readElf(built.bytes);
    assert.deepEqual(diagnostics, []);
    const btf = parseBtf(object.btf!);
    const ext = parseBtfExt(object.btfExt!, btf.strings);
    assert.deepEqual(ext.diagnostics, []);
    const srcLines = readFileSync(built.source, 'utf8').split('\n');
    let nLines = 0;
    for (const { section, records } of ext.lineInfo) {
      const sec = object.sections.find((s) => s.name === section);
      assert.ok(sec && sec.kind === 'code', `line_info section ${section} is a code section`);
      for (const r of records) {
        assert.equal(r.file, built.source);
        assert.equal(r.lineText.trim(), srcLines[r.line - 1].trim(), `line ${r.line}`);
        assert.ok(r.byteOff % 8 === 0 && r.byteOff / 8 < sec.insns.length);
        // readElf carried the record into the section's line table (0-based lines).
        assert.equal(sec.lines[r.byteOff / 8]?.line, r.line - 1);
        nLines++;
      }
    }
    assert.ok(nLines > 5, `${nLines} line records`);
    let nFuncs = 0;
    for (const { section, records } of ext.funcInfo) {
      for (const r of records) {
        const fn = btf.types[r.typeId];
        assert.equal(fn?.kind, 'func');
        const sym = object.symbols.find((s) => s.kind === 'func' && s.section === section && s.offset === r.byteOff);
        assert.equal(sym?.name, fn.name);
        nFuncs++;
      }
    }
    assert.equal(nFuncs, object.symbols.filter((s) => s.kind === 'func').length, 'one func_info per function');
  } finally {
    tmp.done();
  }
});
