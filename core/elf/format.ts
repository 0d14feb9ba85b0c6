/**
 * ELF64 little-endian, at the level of the file format: the header, the section headers,
 * the symbol table and relocation entries, as raw records with their numbers.
 *
 * This module knows ELF, not BPF: read.ts gives the records their BPF meaning (programs,
 * maps, relocation kinds) and write.ts uses the constants and the record shapes.
 *
 * The parser never throws and never reads out of bounds. Each record whose numbers point
 * outside the file (a section's data, the string table of a name, a symbol's section) is
 * reported as a diagnostic with code 'elf' and kept in a degraded form (empty data, name
 * '') so that the rest of the file can still be read.
 */

import { Diagnostic, error, warning } from '../diag';
import { cString, fits, u64, viewOf } from '../btf/bytes';

export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const EV_CURRENT = 1;
export const ET_REL = 1;
export const EM_BPF = 247;

export const EHDR_SIZE = 64;
export const SHDR_SIZE = 64;
export const SYM_SIZE = 24;
export const REL_SIZE = 16;
export const RELA_SIZE = 24;

export const SHT_NULL = 0, SHT_PROGBITS = 1, SHT_SYMTAB = 2, SHT_STRTAB = 3, SHT_RELA = 4, SHT_NOBITS = 8, SHT_REL = 9;
export const SHF_WRITE = 1, SHF_ALLOC = 2, SHF_EXECINSTR = 4, SHF_INFO_LINK = 0x40;
export const SHN_UNDEF = 0, SHN_LORESERVE = 0xff00, SHN_ABS = 0xfff1, SHN_COMMON = 0xfff2, SHN_XINDEX = 0xffff;

export const STB_LOCAL = 0, STB_GLOBAL = 1, STB_WEAK = 2;
export const STT_NOTYPE = 0, STT_OBJECT = 1, STT_FUNC = 2, STT_SECTION = 3, STT_FILE = 4;

/** BPF relocation types (LLVM's llvm/BinaryFormat/ELFRelocs/BPF.def). */
export const R_BPF_NONE = 0, R_BPF_64_64 = 1, R_BPF_64_ABS64 = 2, R_BPF_64_ABS32 = 3, R_BPF_64_NODYLD32 = 4, R_BPF_64_32 = 10;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
  /** The section's bytes; zeros for SHT_NOBITS, empty when the header points outside the file. */
  data: Uint8Array;
}

export interface ElfSymbol {
  index: number;
  name: string;
  bind: number;
  type: number;
  other: number;
  shndx: number;
  value: number;
  size: number;
}

export interface ElfRel {
  offset: number;
  sym: number;
  type: number;
  /** Only RELA entries carry one; REL entries (what clang emits for BPF) have 0. */
  addend: number;
}

export interface ElfFile {
  sections: ElfSection[];
  /** Entry 0 (the null symbol) included, so that indexes match relocation entries. */
  symbols: ElfSymbol[];
  /** Index of the SHT_SYMTAB section, 0 when there is none. */
  symtabIndex: number;
}

/** Reads header, section headers and symbols; undefined when the file is not a BPF ELF64 LE object at all. */
export function parseElf(bytes: Uint8Array, diags: Diagnostic[]): ElfFile | undefined {
  const fail = (m: string) => diags.push(error('elf', m));
  if (bytes.byteLength < EHDR_SIZE) {
    if (!ELF_MAGIC.every((b, i) => bytes[i] === b)) fail(`not an ELF file: ${bytes.byteLength} bytes, no ELF magic`);
    else fail(`ELF file truncated: ${bytes.byteLength} bytes, shorter than the 64-byte ELF64 header`);
    return undefined;
  }
  if (!ELF_MAGIC.every((b, i) => bytes[i] === b)) {
    fail(`not an ELF file: the magic bytes are ${hex(bytes.subarray(0, 4))}, expected 7f 45 4c 46`);
    return undefined;
  }
  if (bytes[4] !== ELFCLASS64) {
    fail(`ELF class is ${bytes[4]}, expected 2 (ELF64); BPF objects are 64-bit`);
    return undefined;
  }
  if (bytes[5] !== ELFDATA2LSB) {
    fail(`ELF data encoding is ${bytes[5]}, expected 1 (little-endian); big-endian BPF objects are not supported`);
    return undefined;
  }
  const view = viewOf(bytes);
  const eType = view.getUint16(16, true);
  const machine = view.getUint16(18, true);
  if (machine !== EM_BPF) {
    fail(`ELF machine is ${machine}, expected 247 (EM_BPF)`);
    return undefined;
  }
  if (eType !== ET_REL) diags.push(warning('elf', `ELF type is ${eType}, expected 1 (ET_REL, a relocatable object)`));

  const shoff = u64(view, 40);
  const shentsize = view.getUint16(58, true);
  let shnum = view.getUint16(60, true);
  let shstrndx = view.getUint16(62, true);
  if (shoff === 0) {
    fail('ELF file has no section headers (e_shoff is 0)');
    return undefined;
  }
  if (shentsize !== SHDR_SIZE) {
    fail(`ELF section header size is ${shentsize}, expected 64`);
    return undefined;
  }
  if (!fits(bytes.byteLength, shoff, SHDR_SIZE)) {
    fail(`ELF section header table at offset ${shoff} lies outside the ${bytes.byteLength}-byte file`);
    return undefined;
  }
  // With more than 0xff00 sections the real count and string-table index live in section 0.
  if (shnum === 0) shnum = u64(view, shoff + 32);
  if (shstrndx === SHN_XINDEX) shstrndx = view.getUint32(shoff + 40, true);
  if (!fits(bytes.byteLength, shoff, shnum * SHDR_SIZE)) {
    const fit = Math.max(1, Math.floor((bytes.byteLength - shoff) / SHDR_SIZE));
    fail(`ELF section header table (${shnum} entries at offset ${shoff}) runs past the end of the file; reading ${fit}`);
    shnum = fit;
  }

  const sections: ElfSection[] = [];
  for (let i = 0; i < shnum; i++) sections.push(readSectionHeader(bytes, view, shoff + i * SHDR_SIZE, i, fail));

  const shstr = sections[shstrndx];
  if (!shstr || shstr.type !== SHT_STRTAB) fail(`ELF section name table index ${shstrndx} does not name a string table`);
  for (const s of sections) {
    if (s.index === 0) continue;
    const nameOff = view.getUint32(shoff + s.index * SHDR_SIZE, true);
    const name = shstr?.type === SHT_STRTAB ? cString(shstr.data, nameOff) : undefined;
    if (name === undefined) fail(`ELF section [${s.index}]: name offset ${nameOff} is outside the section name table`);
    s.name = name ?? '';
  }

  const symtab = sections.filter((s) => s.type === SHT_SYMTAB);
  if (symtab.length > 1) diags.push(warning('elf', `ELF file has ${symtab.length} symbol tables; reading the first`));
  const symbols = symtab.length ? readSymbols(symtab[0], sections, fail) : [];
  return { sections, symbols, symtabIndex: symtab[0]?.index ?? 0 };
}

/** The entries of an SHT_REL or SHT_RELA section. */
export function readRelocs(sec: ElfSection, diags: Diagnostic[]): ElfRel[] {
  const rela = sec.type === SHT_RELA;
  const entSize = rela ? RELA_SIZE : REL_SIZE;
  if (sec.data.byteLength % entSize !== 0) {
    diags.push(error('elf', `ELF relocation section ${sec.name} is ${sec.data.byteLength} bytes, not a multiple of ${entSize}; the partial entry is ignored`));
  }
  const view = viewOf(sec.data);
  const out: ElfRel[] = [];
  for (let at = 0; at + entSize <= sec.data.byteLength; at += entSize) {
    out.push({
      offset: u64(view, at),
      // r_info: symbol index in the upper 32 bits, type in the lower 32 (ELF64_R_SYM, ELF64_R_TYPE).
      sym: view.getUint32(at + 12, true),
      type: view.getUint32(at + 8, true),
      addend: rela ? Number(view.getBigInt64(at + 16, true)) : 0,
    });
  }
  return out;
}

function readSectionHeader(bytes: Uint8Array, view: DataView, at: number, index: number, fail: (m: string) => void): ElfSection {
  const sec: ElfSection = {
    index,
    name: '',
    type: view.getUint32(at + 4, true),
    flags: u64(view, at + 8),
    offset: u64(view, at + 24),
    size: u64(view, at + 32),
    link: view.getUint32(at + 40, true),
    info: view.getUint32(at + 44, true),
    addralign: u64(view, at + 48),
    entsize: u64(view, at + 56),
    data: new Uint8Array(0),
  };
  if (index === 0 || sec.type === SHT_NULL) return sec;
  if (sec.type === SHT_NOBITS) {
    // .bss occupies no file bytes; its contents are zeros. Cap absurd sizes from corrupt headers.
    if (sec.size > 1 << 26) fail(`ELF section [${index}]: NOBITS size ${sec.size} is implausibly large; treated as empty`);
    else sec.data = new Uint8Array(sec.size);
  } else if (!fits(bytes.byteLength, sec.offset, sec.size)) {
    fail(`ELF section [${index}] (offset ${sec.offset}, ${sec.size} bytes) runs past the end of the ${bytes.byteLength}-byte file`);
  } else {
    sec.data = bytes.subarray(sec.offset, sec.offset + sec.size);
  }
  return sec;
}

function readSymbols(symtab: ElfSection, sections: ElfSection[], fail: (m: string) => void): ElfSymbol[] {
  const strtab = sections[symtab.link];
  if (!strtab || strtab.type !== SHT_STRTAB) fail(`ELF symbol table ${symtab.name}: its sh_link ${symtab.link} is not a string table`);
  if (symtab.data.byteLength % SYM_SIZE !== 0) fail(`ELF symbol table is ${symtab.data.byteLength} bytes, not a multiple of ${SYM_SIZE}`);
  const view = viewOf(symtab.data);
  const out: ElfSymbol[] = [];
  for (let at = 0, i = 0; at + SYM_SIZE <= symtab.data.byteLength; at += SYM_SIZE, i++) {
    const nameOff = view.getUint32(at, true);
    const info = view.getUint8(at + 4);
    let name = nameOff === 0 ? '' : strtab?.type === SHT_STRTAB ? cString(strtab.data, nameOff) : undefined;
    if (name === undefined) {
      fail(`ELF symbol ${i}: name offset ${nameOff} is outside the string table`);
      name = '';
    }
    const sym: ElfSymbol = {
      index: i,
      name,
      bind: info >> 4,
      type: info & 0xf,
      other: view.getUint8(at + 5),
      shndx: view.getUint16(at + 6, true),
      value: u64(view, at + 8),
      size: u64(view, at + 16),
    };
    if (sym.shndx !== SHN_UNDEF && sym.shndx < SHN_LORESERVE && sym.shndx >= sections.length) {
      fail(`ELF symbol ${i} '${name}': section index ${sym.shndx} does not exist`);
      sym.shndx = SHN_UNDEF;
    }
    out.push(sym);
  }
  return out;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}
