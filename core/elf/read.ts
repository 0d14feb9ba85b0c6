/**
 * The ELF reader: a BPF relocatable object (clang -target bpf -c, llvm-mc -triple bpf
 * -filetype=obj) into a `BpfObject`, seen the way libbpf's bpf_object__open() sees it.
 *
 *   - Every SHT_PROGBITS section with SHF_EXECINSTR is a 'code' section; its slots are
 *     decoded as they are, relocated instructions included (the references live in
 *     `relocs`, see relocs.ts).
 *   - Other allocated PROGBITS/NOBITS sections (.data, .rodata*, .bss*, maps, .maps,
 *     license...) are 'data' sections; .bss reads as zeros.
 *   - Symbols come from .symtab: STT_FUNC → 'func', STT_OBJECT → 'object', STT_NOTYPE →
 *     'label' in code and 'object' in data, STT_SECTION → 'section' (named after its
 *     section); undefined (extern) symbols are kept with section ''. Symbols of sections
 *     that are not kept (debug info) and STT_FILE are left out.
 *   - Maps come from the legacy `maps` section and from BTF-defined `.maps` (maps.ts).
 *   - The license is the `license` section up to its first NUL; '' when there is none,
 *     as libbpf leaves it.
 *   - `.BTF` and `.BTF.ext` are kept as bytes; line_info fills each code section's `lines`.
 *   - `.debug_*` sections (DWARF) are kept as bytes, unrelocated: in a relocatable BPF object
 *     their relocations are SHT_REL with the addend in place (core/dwarf reads them so).
 *
 * It never throws: whatever is wrong with the file is a diagnostic (code 'elf', or 'btf'
 * for the BTF inside it) and the object holds what could be read.
 */

import { Diagnostic, error } from '../diag';
import { decodeSlots, SLOT_BYTES } from '../isa/insn';
import { BpfObject, BpfSymbol, Section, SourcePos, SymbolKind, emptyObject } from '../object';
import { cString } from '../btf/bytes';
import { Btf, parseBtf } from '../btf/parse';
import { LineInfo, parseBtfExt } from '../btf/ext';
import {
  ElfFile, ElfSection, ElfSymbol, SHF_ALLOC, SHF_EXECINSTR, SHN_LORESERVE, SHN_UNDEF, SHT_NOBITS, SHT_PROGBITS, SHT_REL,
  SHT_RELA, STB_LOCAL, STT_FILE, STT_FUNC, STT_NOTYPE, STT_OBJECT, STT_SECTION, parseElf, readRelocs,
} from './format';
import { legacyMaps, btfMaps } from './maps';
import { SectionRole, classifyRelocs } from './relocs';

export interface ReadResult {
  object: BpfObject;
  diagnostics: Diagnostic[];
}

export function readElf(bytes: Uint8Array): ReadResult {
  const diagnostics: Diagnostic[] = [];
  const object = emptyObject();
  object.license = '';
  try {
    const file = parseElf(bytes, diagnostics);
    if (file) fillObject(file, object, diagnostics);
  } catch (e) {
    // A bug of ours, not of the input: report it rather than take the caller down.
    diagnostics.push(error('internal', `internal ELF reader error: ${(e as Error).message}`));
  }
  return { object, diagnostics };
}

/** Which role a section plays for a BPF loader, by type, flags and (for maps and license) name. */
export function sectionRole(s: ElfSection): SectionRole['role'] {
  if (s.index === 0) return 'other';
  if (s.type === SHT_PROGBITS && (s.flags & SHF_EXECINSTR) !== 0) return 'code';
  if (s.type !== SHT_PROGBITS && s.type !== SHT_NOBITS) return 'other';
  if (s.name === 'maps' || s.name === '.maps') return 'maps';
  if ((s.flags & SHF_ALLOC) !== 0 || s.name === 'license' || s.name === 'version') return 'data';
  return 'other';
}

function fillObject(file: ElfFile, obj: BpfObject, diags: Diagnostic[]): void {
  const roles = new Map<number, SectionRole>();
  for (const s of file.sections) roles.set(s.index, { name: s.name, role: sectionRole(s) });
  const kept = new Map<number, Section>();

  for (const s of file.sections) {
    const role = roles.get(s.index)!.role;
    if (role === 'other') continue;
    if (role === 'code') {
      if (s.data.byteLength % SLOT_BYTES !== 0) {
        diags.push(error('elf', `code section ${s.name} is ${s.data.byteLength} bytes, not a multiple of 8; the last ${s.data.byteLength % SLOT_BYTES} bytes are ignored`));
      }
      const insns = decodeSlots(s.data);
      kept.set(s.index, { name: s.name, kind: 'code', insns, data: new Uint8Array(0), relocs: [], lines: new Array(insns.length).fill(undefined) });
    } else {
      kept.set(s.index, { name: s.name, kind: 'data', insns: [], data: s.data.slice(), relocs: [], lines: [] });
    }
  }
  obj.sections = [...kept.values()];
  obj.symbols = readSymbols(file, kept, roles);

  for (const rel of file.sections) {
    if (rel.type !== SHT_REL && rel.type !== SHT_RELA) continue;
    const target = kept.get(rel.info);
    if (!target || target.kind !== 'code') continue; // .rel.BTF, .rel.debug_*, .rel.maps: nothing for a loader here
    if (rel.link !== file.symtabIndex) {
      diags.push(error('elf', `relocation section ${rel.name} links to section ${rel.link}, not the symbol table`));
      continue;
    }
    const entries = readRelocs(rel, diags);
    target.relocs.push(...classifyRelocs(target.name, target.insns, entries, file.symbols, (i) => roles.get(i), diags));
  }
  for (const sec of kept.values()) sec.relocs.sort((a, b) => a.insnIdx - b.insnIdx);

  const license = file.sections.find((s) => s.name === 'license');
  if (license) obj.license = cString(license.data, 0) ?? new TextDecoder().decode(license.data);

  const btfSec = file.sections.find((s) => s.name === '.BTF');
  let btf: Btf | undefined;
  if (btfSec) {
    obj.btf = btfSec.data.slice();
    btf = parseBtf(obj.btf);
    diags.push(...btf.diagnostics);
  }
  const extSec = file.sections.find((s) => s.name === '.BTF.ext');
  if (extSec) {
    obj.btfExt = extSec.data.slice();
    if (btf) {
      const ext = parseBtfExt(obj.btfExt, btf.strings);
      diags.push(...ext.diagnostics);
      for (const { section, records } of ext.lineInfo) {
        const sec = obj.sections.find((x) => x.name === section && x.kind === 'code');
        if (sec) fillLines(sec, records);
      }
    }
  }

  for (const s of file.sections) {
    if (s.name.startsWith('.debug_') && s.type === SHT_PROGBITS) (obj.debug ??= {})[s.name] = s.data.slice();
  }

  for (const s of file.sections) {
    if (s.name === 'maps' && roles.get(s.index)?.role === 'maps') obj.maps.push(...legacyMaps(s, file.symbols, diags));
  }
  for (const s of file.sections) {
    if (s.name === '.maps' && roles.get(s.index)?.role === 'maps') obj.maps.push(...btfMaps(btf, s.name, diags));
  }
}

function readSymbols(file: ElfFile, kept: Map<number, Section>, roles: Map<number, SectionRole>): BpfSymbol[] {
  const out: BpfSymbol[] = [];
  for (const s of file.symbols) {
    if (s.index === 0 || s.type === STT_FILE) continue;
    if (s.shndx === SHN_UNDEF) {
      // An extern: a kfunc or a __ksym/__kconfig variable, resolved by libbpf at load time.
      if (s.name) out.push({ name: s.name, section: '', offset: 0, size: 0, global: s.bind !== STB_LOCAL, kind: s.type === STT_FUNC ? 'func' : 'object' });
      continue;
    }
    if (s.shndx >= SHN_LORESERVE) continue; // SHN_ABS, SHN_COMMON: nothing a BPF loader places
    const sec = kept.get(s.shndx);
    if (!sec) continue;
    const name = s.type === STT_SECTION ? sec.name : s.name;
    if (!name) continue;
    out.push({ name, section: sec.name, offset: s.value, size: s.size, global: s.bind !== STB_LOCAL, kind: symbolKind(s, roles.get(s.shndx)!.role) });
  }
  return out;
}

function symbolKind(s: ElfSymbol, role: SectionRole['role']): SymbolKind {
  switch (s.type) {
    case STT_FUNC: return 'func';
    case STT_OBJECT: return 'object';
    case STT_SECTION: return 'section';
    case STT_NOTYPE: return role === 'code' ? 'label' : 'object';
    default: return role === 'code' ? 'label' : 'object';
  }
}

/**
 * Gives every slot the source position of the last line_info record at or before it, so
 * that an instruction between two records (the kernel records only where the line changes)
 * still has its line. Positions are 0-based: line_info's 1-based line and column become
 * `line - 1` and `col - 1`; the span runs to the end of the recorded line text, since BTF
 * does not say where the expression ends. A record outside the section is ignored.
 */
function fillLines(sec: Section, records: readonly LineInfo[]): void {
  const sorted = [...records].filter((r) => r.byteOff % SLOT_BYTES === 0 && r.byteOff / SLOT_BYTES < sec.insns.length)
    .sort((a, b) => a.byteOff - b.byteOff);
  let k = 0;
  let cur: SourcePos | undefined;
  for (let pc = 0; pc < sec.insns.length; pc++) {
    while (k < sorted.length && sorted[k].byteOff / SLOT_BYTES <= pc) cur = sourcePos(sorted[k++]);
    sec.lines[pc] = cur;
  }
}

function sourcePos(r: LineInfo): SourcePos {
  const text = r.lineText.trimEnd();
  const col = r.col > 0 ? r.col - 1 : Math.max(0, text.length - text.trimStart().length);
  return { file: r.file, line: Math.max(0, r.line - 1), col, endCol: Math.max(col + 1, text.length) };
}
