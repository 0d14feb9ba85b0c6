/**
 * The object model: what an assembly file and an ELF object both become.
 *
 * The assembler (core/asm) and the ELF reader (core/elf) produce a `BpfObject`; the ELF
 * writer, the disassembler, and later the verifier and the VM consume one. It follows
 * libbpf's view of an object: code sections named after their program type, global
 * function symbols as programs, `.text` for bpf-to-bpf subprograms, maps, a license.
 *
 * References stay symbolic (a relocation names a map or function) until an output format
 * decides how to encode them: an ELF object keeps relocations, as clang emits them; raw
 * slots (`.bin`, `--hex`) encode a map as src=1 and imm = its 0-based declaration index.
 */

import { Insn } from './isa/insn';
import { Span } from './diag';

/** A position in a source file: 0-based line and columns; `file` when not the main file. */
export interface SourcePos extends Span {
  file?: string;
}

export type RelocKind =
  /** lddw of a map's address (BPF_PSEUDO_MAP_FD once loaded). */
  | 'map'
  /** lddw of an address inside a map's value, e.g. global data (BPF_PSEUDO_MAP_VALUE). */
  | 'map_value'
  /** lddw of a function's address (BPF_PSEUDO_FUNC), for callbacks. */
  | 'func'
  /** bpf-to-bpf call to a function in another section, or an extern (kfunc). */
  | 'call';

export interface Reloc {
  /** Slot index in the section. */
  insnIdx: number;
  kind: RelocKind;
  symbol: string;
  /** Byte offset added to the symbol (map_value). */
  addend: number;
  /** The ELF relocation type number when read from or written to an ELF file (R_BPF_64_64 = 1...). */
  elfType?: number;
}

export interface Section {
  name: string;
  kind: 'code' | 'data';
  /** Code sections: the slots. */
  insns: Insn[];
  /** Data sections: the bytes. */
  data: Uint8Array;
  relocs: Reloc[];
  /** Source position of each slot (code sections), when known. */
  lines: (SourcePos | undefined)[];
}

export type SymbolKind = 'func' | 'object' | 'label' | 'section';

export interface BpfSymbol {
  name: string;
  section: string;
  /** Byte offset in the section. */
  offset: number;
  size: number;
  global: boolean;
  kind: SymbolKind;
  span?: Span;
}

/** A map definition, from `.map`, a legacy `maps` section or BTF-defined `.maps`. */
export interface MapDef {
  name: string;
  /** The kernel's map type name without the BPF_MAP_TYPE_ prefix, in lower case (`hash`, `lpm_trie`). */
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** The map whose definition inner maps follow (array_of_maps, hash_of_maps). */
  inner?: string;
  /** BTF type ids of key and value when the object carries BTF. */
  keyTypeId?: number;
  valueTypeId?: number;
  span?: Span;
}

export interface BpfObject {
  sections: Section[];
  symbols: BpfSymbol[];
  maps: MapDef[];
  license: string;
  /** Raw `.BTF` and `.BTF.ext` of an ELF object, kept for source mapping and CO-RE. */
  btf?: Uint8Array;
  btfExt?: Uint8Array;
  /** Raw `.debug_*` sections (DWARF) of an ELF object, by section name, for the debugger's Locals. */
  debug?: Record<string, Uint8Array>;
}

export function emptyObject(): BpfObject {
  return { sections: [], symbols: [], maps: [], license: 'GPL' };
}

export function codeSections(obj: BpfObject): Section[] {
  return obj.sections.filter((s) => s.kind === 'code');
}

export function findSection(obj: BpfObject, name: string): Section | undefined {
  return obj.sections.find((s) => s.name === name);
}
