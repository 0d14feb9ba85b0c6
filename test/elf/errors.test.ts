/**
 * readElf on broken objects: each case corrupts one field of a valid object (written by
 * writeElf from the sample, so the test needs no tools) and expects a diagnostic naming
 * what is wrong, no exception, and whatever else of the object could still be read.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readElf } from '../../core/elf/read';
import { writeElf } from '../../core/elf/write';
import { BpfObject } from '../../core/object';
import { handObject } from './sample';

/** Where a section's header and data are in the file, found without core/elf. */
function locate(b: Buffer, name: string): { hdr: number; off: number; size: number } {
  const shoff = Number(b.readBigUInt64LE(40));
  const shnum = b.readUInt16LE(60);
  const strHdr = shoff + b.readUInt16LE(62) * 64;
  const strOff = Number(b.readBigUInt64LE(strHdr + 24));
  for (let i = 0; i < shnum; i++) {
    const hdr = shoff + i * 64;
    const nameOff = b.readUInt32LE(hdr);
    const end = b.indexOf(0, strOff + nameOff);
    if (b.toString('latin1', strOff + nameOff, end) === name) {
      return { hdr, off: Number(b.readBigUInt64LE(hdr + 24)), size: Number(b.readBigUInt64LE(hdr + 32)) };
    }
  }
  throw new Error(`no section ${name}`);
}

/** The file offset of symbol `name`'s entry in .symtab. */
function symbolEntry(b: Buffer, name: string): number {
  const sym = locate(b, '.symtab');
  const str = locate(b, '.strtab');
  for (let at = sym.off; at < sym.off + sym.size; at += 24) {
    const n = b.readUInt32LE(at);
    if (b.toString('latin1', str.off + n, b.indexOf(0, str.off + n)) === name) return at;
  }
  throw new Error(`no symbol ${name}`);
}

interface Case {
  name: string;
  mutate: (b: Buffer) => Buffer;
  message: RegExp;
  /** What must still hold of the partial object. */
  still?: (obj: BpfObject) => void;
}

const hasCode = (name: string) => (obj: BpfObject) =>
  assert.ok(obj.sections.some((s) => s.name === name && s.kind === 'code' && s.insns.length > 0), `${name} still read`);

const CASES: Case[] = [
  { name: 'empty file', mutate: () => Buffer.alloc(0), message: /^not an ELF file: 0 bytes/ },
  { name: 'wrong magic', mutate: (b) => (b.write('\x7fXYZ', 0, 'latin1'), b), message: /magic bytes are 7f 58 59 5a/ },
  { name: 'ELF32', mutate: (b) => (b[4] = 1, b), message: /ELF class is 1, expected 2/ },
  { name: 'big-endian', mutate: (b) => (b[5] = 2, b), message: /big-endian BPF objects are not supported/ },
  { name: 'not BPF', mutate: (b) => (b.writeUInt16LE(62, 18), b), message: /ELF machine is 62, expected 247/ },
  { name: 'truncated header', mutate: (b) => b.subarray(0, 40), message: /truncated: 40 bytes/ },
  { name: 'truncated section headers', mutate: (b) => b.subarray(0, b.length - 100), message: /section header table .* runs past the end/ },
  { name: 'section headers outside', mutate: (b) => (b.writeBigUInt64LE(1n << 40n, 40), b), message: /section header table at offset \d+ lies outside/ },
  { name: 'header entry size', mutate: (b) => (b.writeUInt16LE(40, 58), b), message: /section header size is 40, expected 64/ },
  {
    name: 'section data outside the file',
    mutate: (b) => (b.writeBigUInt64LE(0xffffffn, locate(b, 'xdp').hdr + 24), b),
    message: /section \[\d+\] \(offset 16777215, \d+ bytes\) runs past the end/,
    still: hasCode('.text'),
  },
  {
    name: 'section name table index',
    mutate: (b) => (b.writeUInt16LE(1, 62), b),
    message: /section name table index 1 does not name a string table/,
  },
  {
    name: 'section name offset',
    mutate: (b) => (b.writeUInt32LE(0xfffff, locate(b, '.text').hdr), b),
    message: /name offset 1048575 is outside the section name table/,
    still: hasCode('xdp'),
  },
  {
    name: 'code size not a multiple of 8',
    mutate: (b) => (b.writeBigUInt64LE(BigInt(locate(b, '.text').size - 3), locate(b, '.text').hdr + 32), b),
    message: /code section \.text is 13 bytes, not a multiple of 8/,
    still: hasCode('xdp'),
  },
  {
    name: 'relocation between instructions',
    mutate: (b) => (b.writeBigUInt64LE(5n, locate(b, '.relxdp').off), b),
    message: /relocation at offset 5 in xdp does not point at an instruction/,
    still: (obj) => assert.equal(obj.sections.find((s) => s.name === 'xdp')!.relocs.length, 3, 'the other relocations stay'),
  },
  {
    name: 'relocation symbol',
    mutate: (b) => (b.writeUInt32LE(999, locate(b, '.relxdp').off + 12), b),
    message: /names symbol 999, which does not exist/,
  },
  {
    name: 'relocation type',
    mutate: (b) => (b.writeUInt32LE(2, locate(b, '.relxdp').off + 8), b),
    message: /relocation type 2 against 'counts' is not one libbpf applies to code/,
  },
  {
    name: 'relocation on a non-lddw',
    mutate: (b) => (b.writeBigUInt64LE(0n, locate(b, '.relxdp').off), b),
    message: /R_BPF_64_64 against 'counts' is on opcode 0xb7, not an lddw/,
  },
  {
    name: 'symbol section index',
    mutate: (b) => (b.writeUInt16LE(0x500, symbolEntry(b, 'gvar') + 6), b),
    message: /symbol \d+ 'gvar': section index 1280 does not exist/,
  },
  {
    name: 'corrupt BTF',
    mutate: (b) => (b.writeUInt16LE(0x1234, locate(b, '.BTF').off), b),
    message: /section \.maps has no DATASEC in \.BTF/,
    still: (obj) => assert.ok(obj.btf, 'the raw .BTF is still kept'),
  },
];

test('broken objects give diagnostics naming the problem', async (t) => {
  const good = writeElf(handObject());
  assert.deepEqual(readElf(good).diagnostics, [], 'the unbroken object is clean');
  for (const c of CASES) {
    await t.test(c.name, () => {
      const { object, diagnostics } = readElf(new Uint8Array(c.mutate(Buffer.from(good))));
      assert.ok(diagnostics.some((d) => d.severity === 'error' && c.message.test(d.message)), JSON.stringify(diagnostics, null, 1));
      assert.ok(diagnostics.every((d) => d.code !== 'internal'), 'no internal error');
      assert.ok(diagnostics.every((d) => !d.message.endsWith('.')), 'messages end without a period');
      c.still?.(object);
    });
  }
});

test('a license section without a NUL reads as a whole', () => {
  const b = Buffer.from(writeElf(handObject()));
  const lic = locate(b, 'license');
  b.write('MIT!', lic.off, 'latin1');
  const { object, diagnostics } = readElf(new Uint8Array(b));
  assert.deepEqual(diagnostics, []);
  assert.equal(object.license, 'MIT!');
});

test('an object without a license section has the empty license, as libbpf leaves it', () => {
  const obj = handObject();
  obj.license = '';
  const back = readElf(writeElf(obj));
  assert.deepEqual(back.diagnostics, []);
  assert.equal(back.object.license, '');
});
