/**
 * The ELF writer: a `BpfObject` into an ELF64 little-endian EM_BPF relocatable object that
 * llvm-objdump reads and libbpf (bpftool prog load) loads.
 *
 * What it writes, in this order:
 *   - the code sections (SHF_ALLOC | SHF_EXECINSTR, 8-byte aligned), with every symbolic
 *     reference left to a relocation exactly as clang emits it: a map's lddw has src=0,
 *     imm=0 and an R_BPF_64_64 against the map's symbol; a call into another section has
 *     src=1, imm=-1 and an R_BPF_64_32 against the function's symbol (imm = offset / 8 - 1
 *     against a section symbol, as clang does for static functions);
 *   - the object's data sections (.data, .rodata, .bss as NOBITS...) as they are;
 *   - `.maps`, `license` and `.BTF`, generated from `obj.maps` and `obj.license` (mapsBtf.ts);
 *     the object's own `maps`, `.maps` and `license` sections, if it has them, are replaced;
 *   - `.rel<section>` for each code section with relocations, `.symtab`, `.strtab` and
 *     `.shstrtab` (clang keeps section names in `.strtab`; either layout is plain ELF).
 *
 * Symbols follow what libbpf's bpf_object__add_programs() and sym_is_subprog() need: a
 * program is a GLOBAL STT_FUNC whose st_size covers its code (in-section subprograms
 * included), so sizes of 0 are computed up to the next function or the section's end; a
 * program section without any global function gets one named after the section; .text
 * functions and call targets are STT_FUNC; labels are LOCAL NOTYPE; externs (kfuncs) are
 * GLOBAL NOTYPE undefined. No FUNC BTF and no `.BTF.ext` are written: libbpf loads
 * without them, and the kernel then verifies every subprogram as static.
 *
 * `obj.btf` and `obj.btfExt` of an object read from clang are not carried over (the map
 * BTF is rebuilt), so source lines and key/value types are lost on a round trip, and a
 * call to an extern (kfunc) is written as clang writes it but without the extern's BTF
 * FUNC, which libbpf needs to resolve it: such objects do not load yet.
 *
 * Problems (a reference to an unknown map, a map_value reference to a map, which libbpf
 * cannot express) are reported by writeElfChecked(); writeElf() writes what it can.
 */

import { Diagnostic, error, warning } from '../diag';
import { ByteWriter } from '../btf/bytes';
import { Insn, LDDW_CODE, encodeSlots } from '../isa/insn';
import { BpfObject, BpfSymbol, Section } from '../object';
import {
  EHDR_SIZE, ELFCLASS64, ELFDATA2LSB, ELF_MAGIC, EM_BPF, ET_REL, EV_CURRENT, R_BPF_64_32, R_BPF_64_64, REL_SIZE,
  SHDR_SIZE, SHF_ALLOC, SHF_EXECINSTR, SHF_INFO_LINK, SHF_WRITE, SHN_UNDEF, SHT_NOBITS, SHT_PROGBITS, SHT_REL,
  SHT_STRTAB, SHT_SYMTAB, STB_GLOBAL, STB_LOCAL, STT_FUNC, STT_NOTYPE, STT_OBJECT, STT_SECTION, SYM_SIZE,
} from './format';
import { buildMapsBtf, MapLayout } from './mapsBtf';

export interface WriteResult {
  bytes: Uint8Array;
  diagnostics: Diagnostic[];
}

/** Writes the object; see writeElfChecked() for the problems found on the way. */
export function writeElf(obj: BpfObject): Uint8Array {
  return writeElfChecked(obj).bytes;
}

export function writeElfChecked(obj: BpfObject): WriteResult {
  const diags: Diagnostic[] = [];
  const w = new ObjectWriter(obj, diags);
  return { bytes: w.write(), diagnostics: diags };
}

/** Sections the writer regenerates from `obj.maps` and `obj.license`, or never copies. */
const REGENERATED = new Set(['maps', '.maps', 'license', '.BTF', '.BTF.ext']);
const CALL_CODE = 0x85;
const BPF_PSEUDO_CALL = 1;

interface OutSection {
  name: string;
  type: number;
  flags: number;
  align: number;
  entsize: number;
  link: number;
  info: number;
  data: Uint8Array;
  /** For SHT_NOBITS: the size, with no bytes in the file. */
  nobitsSize?: number;
}

interface OutSymbol {
  name: string;
  bind: number;
  type: number;
  shndx: number;
  value: number;
  size: number;
}

interface OutRel {
  offset: number;
  sym: number;
  type: number;
}

class ObjectWriter {
  private readonly sections: OutSection[] = [{ name: '', type: 0, flags: 0, align: 0, entsize: 0, link: 0, info: 0, data: new Uint8Array(0) }];
  private readonly secIndex = new Map<string, number>();
  private readonly locals: OutSymbol[] = [];
  private readonly globals: OutSymbol[] = [];
  /** Named symbols by name (a global one wins over locals of the same name). */
  private readonly symByName = new Map<string, { sym: OutSymbol }>();
  private readonly sectionSym = new Map<string, OutSymbol>();
  private readonly mapSym = new Map<string, OutSymbol>();
  private layout: MapLayout[] = [];
  private readonly indexOf = new Map<OutSymbol, number>();

  constructor(private readonly obj: BpfObject, private readonly diags: Diagnostic[]) {}

  write(): Uint8Array {
    const code = this.obj.sections.filter((s) => s.kind === 'code');
    const data = this.obj.sections.filter((s) => s.kind === 'data' && !REGENERATED.has(s.name));
    for (const s of code) this.addSection({ name: s.name, type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, align: 8, entsize: 0, link: 0, info: 0, data: new Uint8Array(0) });
    for (const s of data) this.addSection(dataSection(s));
    const maps = buildMapsBtf(this.obj.maps, this.diags);
    if (maps) {
      this.layout = maps.layout;
      this.addSection({ name: '.maps', type: SHT_PROGBITS, flags: SHF_WRITE | SHF_ALLOC, align: 8, entsize: 0, link: 0, info: 0, data: maps.data });
    }
    if (this.obj.license !== '') {
      const lic = new TextEncoder().encode(this.obj.license + '\0');
      this.addSection({ name: 'license', type: SHT_PROGBITS, flags: SHF_WRITE | SHF_ALLOC, align: 1, entsize: 0, link: 0, info: 0, data: lic });
    }
    if (maps) this.addSection({ name: '.BTF', type: SHT_PROGBITS, flags: 0, align: 4, entsize: 0, link: 0, info: 0, data: maps.btf });

    this.collectSymbols(code, data);
    const rels = code.map((s) => this.encodeCode(s));
    const symtabIdx = this.sections.length + rels.filter((r) => r.length > 0).length;
    code.forEach((s, k) => {
      if (rels[k].length === 0) return;
      const w = new ByteWriter();
      for (const r of rels[k]) {
        w.u64(r.offset);
        // r_info = sym << 32 | type (ELF64_R_INFO).
        w.u32(r.type);
        w.u32(r.sym);
      }
      this.addSection({ name: `.rel${s.name}`, type: SHT_REL, flags: SHF_INFO_LINK, align: 8, entsize: REL_SIZE, link: symtabIdx, info: this.secIndex.get(s.name)!, data: w.finish() });
    });
    return this.finish();
  }

  private addSection(s: OutSection): number {
    const idx = this.sections.length;
    this.sections.push(s);
    if (!this.secIndex.has(s.name)) this.secIndex.set(s.name, idx);
    return idx;
  }

  /** Builds the symbol table: section symbols, the object's symbols, programs, maps, externs. */
  private collectSymbols(code: Section[], data: Section[]): void {
    for (const s of [...code, ...data]) {
      const sym: OutSymbol = { name: '', bind: STB_LOCAL, type: STT_SECTION, shndx: this.secIndex.get(s.name)!, value: 0, size: 0 };
      this.locals.push(sym);
      this.sectionSym.set(s.name, sym);
    }
    const written = new Set([...code, ...data].map((s) => s.name));
    const textTargets = this.textCallTargets(code);
    const textFuncAt = new Set<number>();
    // Functions and globals first, so that where a label shares an offset with a function
    // the function keeps STT_FUNC (libbpf wants one subprogram per start).
    const ordered = [...this.obj.symbols].sort((a, b) => rank(a) - rank(b));
    for (const s of ordered) {
      if (s.kind === 'section') continue;
      if (s.section === '') {
        this.addSymbol({ name: s.name, bind: STB_GLOBAL, type: STT_NOTYPE, shndx: SHN_UNDEF, value: 0, size: 0 });
        continue;
      }
      if (!written.has(s.section)) continue;
      const sec = this.obj.sections.find((x) => x.name === s.section)!;
      const shndx = this.secIndex.get(s.section)!;
      const bind = s.global ? STB_GLOBAL : STB_LOCAL;
      if (sec.kind === 'data') {
        this.addSymbol({ name: s.name, bind, type: STT_OBJECT, shndx, value: s.offset, size: s.size });
        continue;
      }
      // libbpf: programs are GLOBAL STT_FUNC ("program is static and not supported" otherwise);
      // .text subprograms are STT_FUNC, and every call into .text must land on one.
      let func = s.global;
      if (s.section === '.text') {
        func = (s.global || s.kind === 'func' || textTargets.has(s.offset)) && !textFuncAt.has(s.offset);
        if (func) textFuncAt.add(s.offset);
      }
      this.addSymbol({ name: s.name, bind, type: func ? STT_FUNC : STT_NOTYPE, shndx, value: s.offset, size: s.size });
    }
    for (const s of code) {
      const shndx = this.secIndex.get(s.name)!;
      if (s.name === '.text') {
        // A call target (or the start of .text) without a symbol gets a local function, as
        // clang names every static function.
        if (s.insns.length > 0) textTargets.add(0);
        for (const off of [...textTargets].sort((a, b) => a - b)) {
          if (textFuncAt.has(off) || off >= s.insns.length * 8) continue;
          this.addSymbol({ name: this.freshName(`text_sub_${off / 8}`), bind: STB_LOCAL, type: STT_FUNC, shndx, value: off, size: 0 });
          textFuncAt.add(off);
        }
      } else if (![...this.locals, ...this.globals].some((y) => y.shndx === shndx && y.type === STT_FUNC && y.bind === STB_GLOBAL)) {
        this.addSymbol({ name: this.freshName(s.name), bind: STB_GLOBAL, type: STT_FUNC, shndx, value: 0, size: 0 });
      }
      this.fixFuncSizes(shndx, s.insns.length * 8);
    }
    const mapsIdx = this.secIndex.get('.maps');
    for (const m of this.layout) {
      const sym: OutSymbol = { name: m.name, bind: STB_GLOBAL, type: STT_OBJECT, shndx: mapsIdx!, value: m.offset, size: m.size };
      this.globals.push(sym);
      this.mapSym.set(m.name, sym);
    }
  }

  /**
   * Byte offsets in .text that calls and function addresses lead to: from relocations (a
   * section-named target is at its addend, a symbol's at its offset plus the addend) and
   * from calls inside .text itself (src=1 without a relocation: the slot after the call
   * plus imm), which libbpf also resolves to a subprogram.
   */
  private textCallTargets(code: Section[]): Set<number> {
    const out = new Set<number>();
    const byName = new Map<string, BpfSymbol>();
    for (const y of this.obj.symbols) if (y.kind !== 'section' && !byName.has(y.name)) byName.set(y.name, y);
    for (const sec of code) {
      for (const r of sec.relocs) {
        if (r.kind !== 'call' && r.kind !== 'func') continue;
        const sym = byName.get(r.symbol);
        if (sym?.section === '.text') out.add(sym.offset + r.addend);
        else if (!sym && r.symbol === '.text') out.add(r.addend);
      }
    }
    const text = code.find((s) => s.name === '.text');
    const relocated = new Set(text?.relocs.map((r) => r.insnIdx));
    text?.insns.forEach((i, pc) => {
      if (i.code === CALL_CODE && i.src === BPF_PSEUDO_CALL && !relocated.has(pc)) out.add((pc + 1 + i.imm) * 8);
    });
    return out;
  }

  private addSymbol(sym: OutSymbol): void {
    (sym.bind === STB_LOCAL ? this.locals : this.globals).push(sym);
    const prev = this.symByName.get(sym.name);
    // A name defined more than once (local labels in several sections): prefer a global one.
    if (!prev || (prev.sym.bind === STB_LOCAL && sym.bind !== STB_LOCAL)) this.symByName.set(sym.name, { sym });
  }

  /** A program name made from a section name: `kprobe/sys_open` → `kprobe_sys_open`. */
  private freshName(secName: string): string {
    let base = secName.replace(/[^A-Za-z0-9_]/g, '_');
    if (!/^[A-Za-z_]/.test(base)) base = `_${base}`;
    const taken = (n: string) => this.symByName.has(n) || this.layout.some((m) => m.name === n);
    let name = base;
    for (let k = 1; taken(name); k++) name = `${base}_${k}`;
    return name;
  }

  /** Sizes of STT_FUNC symbols: kept when given and inside the section, else up to the next function. */
  private fixFuncSizes(shndx: number, secBytes: number): void {
    const funcs = [...this.locals, ...this.globals].filter((y) => y.shndx === shndx && y.type === STT_FUNC).sort((a, b) => a.value - b.value);
    funcs.forEach((f, k) => {
      if (f.size > 0 && f.value + f.size <= secBytes) return;
      const next = funcs.slice(k + 1).find((g) => g.value > f.value);
      f.size = Math.max(0, (next ? next.value : secBytes) - f.value);
    });
  }

  /** The section's slots with references cleared as clang leaves them, and its relocation entries. */
  private encodeCode(sec: Section): OutRel[] {
    const insns = sec.insns.map((i) => ({ ...i }));
    const rels: OutRel[] = [];
    const fail = (insnIdx: number, m: string) => this.diags.push({ ...error('elf', m), insnIdx, section: sec.name });
    for (const r of [...sec.relocs].sort((a, b) => a.insnIdx - b.insnIdx)) {
      const lo = insns[r.insnIdx];
      if (!lo) {
        fail(r.insnIdx, `relocation against '${r.symbol}' at slot ${r.insnIdx} is outside section ${sec.name}`);
        continue;
      }
      if (r.kind === 'call') {
        if (lo.code !== CALL_CODE) {
          fail(r.insnIdx, `call relocation against '${r.symbol}' is on opcode 0x${lo.code.toString(16)}, not a call`);
          continue;
        }
        const t = this.callTarget(r.symbol);
        if (t.extern && !this.obj.symbols.some((y) => y.name === r.symbol && y.section === '')) {
          this.diags.push({ ...warning('elf', `call to '${r.symbol}', which the object does not define, is written as a call to an extern (a kfunc)`), insnIdx: r.insnIdx, section: sec.name });
        }
        // src=1 for kfuncs too: clang leaves BPF_PSEUDO_KFUNC_CALL to libbpf.
        lo.src = BPF_PSEUDO_CALL;
        lo.imm = t.extern ? -1 : (t.bias + r.addend) / 8 - 1;
        rels.push({ offset: r.insnIdx * 8, sym: this.symIndex(t.sym), type: R_BPF_64_32 });
        continue;
      }
      const hi = insns[r.insnIdx + 1];
      if (lo.code !== LDDW_CODE || !hi) {
        fail(r.insnIdx, `${r.kind} relocation against '${r.symbol}' is not on a complete lddw`);
        continue;
      }
      const t = this.lddwTarget(r.kind, r.symbol, r.insnIdx, sec.name);
      if (!t) continue;
      lo.src = 0;
      lo.imm = r.kind === 'map' ? 0 : r.addend - t.bias;
      hi.imm = 0;
      rels.push({ offset: r.insnIdx * 8, sym: this.symIndex(t.sym), type: R_BPF_64_64 });
    }
    this.sections[this.secIndex.get(sec.name)!].data = encodeSlots(insns as Insn[]);
    return rels;
  }

  /**
   * The symbol a call relocation names, and the byte offset `bias` that the relocation's
   * addend is relative to (0 for a function's own symbol).
   */
  private callTarget(name: string): { sym: OutSymbol; bias: number; extern: boolean } {
    const known = this.symByName.get(name);
    if (known && known.sym.shndx !== SHN_UNDEF) return { sym: known.sym, bias: 0, extern: false };
    const secSym = this.sectionSym.get(name);
    if (secSym && this.obj.sections.find((s) => s.name === name)?.kind === 'code') return { sym: secSym, bias: 0, extern: false };
    return { sym: known?.sym ?? this.externSymbol(name), bias: 0, extern: true };
  }

  /**
   * The symbol an lddw relocation is written against and the offset its addend counts from:
   * libbpf puts st_value + imm in the lddw, and our addend is an offset in the section.
   */
  private lddwTarget(kind: string, name: string, insnIdx: number, secName: string): { sym: OutSymbol; bias: number } | undefined {
    const fail = (m: string) => this.diags.push({ ...error('elf', m), insnIdx, section: secName });
    const map = this.mapSym.get(name);
    if (kind === 'map') {
      if (map) return { sym: map, bias: 0 };
      fail(`lddw at slot ${insnIdx} refers to map '${name}', which the object does not define`);
      return undefined;
    }
    if (map) {
      // libbpf resolves an lddw against a .maps symbol to the map's fd, never to its value.
      fail(`map_value reference to map '${name}' cannot be written to an ELF object: libbpf only supports value addresses of global data sections`);
      return { sym: map, bias: 0 };
    }
    const known = this.symByName.get(name);
    const secSym = this.sectionSym.get(name);
    if (kind === 'func') {
      // libbpf's sym_is_subprog(): a global STT_FUNC, or the section symbol for a static one.
      if (known && known.sym.bind === STB_GLOBAL && known.sym.type === STT_FUNC) return { sym: known.sym, bias: 0 };
      if (known && known.sym.shndx !== SHN_UNDEF) {
        const secName = this.sections[known.sym.shndx].name;
        return { sym: this.sectionSym.get(secName)!, bias: -known.sym.value };
      }
      if (secSym) return { sym: secSym, bias: 0 };
    } else {
      if (known && known.sym.shndx !== SHN_UNDEF) return { sym: known.sym, bias: known.sym.value };
      if (secSym) return { sym: secSym, bias: 0 };
    }
    fail(`lddw at slot ${insnIdx} refers to '${name}', which the object does not define`);
    return undefined;
  }

  private externSymbol(name: string): OutSymbol {
    const sym: OutSymbol = { name, bind: STB_GLOBAL, type: STT_NOTYPE, shndx: SHN_UNDEF, value: 0, size: 0 };
    this.globals.push(sym);
    this.symByName.set(name, { sym });
    return sym;
  }

  /** The symbol's index in .symtab: the null symbol, then the locals, then the globals. */
  private symIndex(sym: OutSymbol): number {
    let idx = this.indexOf.get(sym);
    if (idx === undefined) {
      // Built once symbols are complete; only externs are added later, at the end.
      [...this.locals, ...this.globals].forEach((y, k) => this.indexOf.set(y, k + 1));
      idx = this.indexOf.get(sym)!;
    }
    return idx;
  }

  /** Lays out the file: header, section contents, symbol and string tables, section headers. */
  private finish(): Uint8Array {
    const strtab = new StringTable();
    const symw = new ByteWriter();
    symw.bytes(new Uint8Array(SYM_SIZE));
    for (const s of [...this.locals, ...this.globals]) {
      symw.u32(strtab.add(s.name));
      symw.u8((s.bind << 4) | s.type);
      symw.u8(0);
      symw.u16(s.shndx);
      symw.u64(s.value);
      symw.u64(s.size);
    }
    const strIdx = this.sections.length + 1;
    // sh_info of a symbol table: the index of the first non-local symbol.
    this.addSection({ name: '.symtab', type: SHT_SYMTAB, flags: 0, align: 8, entsize: SYM_SIZE, link: strIdx, info: 1 + this.locals.length, data: symw.finish() });
    this.addSection({ name: '.strtab', type: SHT_STRTAB, flags: 0, align: 1, entsize: 0, link: 0, info: 0, data: strtab.finish() });
    const shstrtab = new StringTable();
    const shstrIdx = this.addSection({ name: '.shstrtab', type: SHT_STRTAB, flags: 0, align: 1, entsize: 0, link: 0, info: 0, data: new Uint8Array(0) });
    const nameOffs = this.sections.map((s) => shstrtab.add(s.name));
    this.sections[shstrIdx].data = shstrtab.finish();

    const w = new ByteWriter();
    w.bytes(new Uint8Array(EHDR_SIZE));
    const offsets = this.sections.map((s, k) => {
      if (k === 0) return 0;
      w.align(Math.max(1, s.align));
      const at = w.length;
      if (s.type !== SHT_NOBITS) w.bytes(s.data);
      return at;
    });
    w.align(8);
    const shoff = w.length;
    this.sections.forEach((s, k) => {
      w.u32(nameOffs[k]);
      w.u32(s.type);
      w.u64(s.flags);
      w.u64(0);
      w.u64(offsets[k]);
      w.u64(s.type === SHT_NOBITS ? s.nobitsSize ?? 0 : s.data.byteLength);
      w.u32(s.link);
      w.u32(s.info);
      w.u64(s.align);
      w.u64(s.entsize);
    });
    const out = w.finish();
    writeHeader(out, shoff, this.sections.length, shstrIdx);
    return out;
  }
}

/** Sorts functions, then other globals, then the rest (a stable sort keeps their order). */
function rank(s: BpfSymbol): number {
  return s.kind === 'func' ? 0 : s.global ? 1 : 2;
}

function dataSection(s: Section): OutSection {
  const bss = s.name === '.bss' || s.name.startsWith('.bss.');
  const rodata = s.name === '.rodata' || s.name.startsWith('.rodata.');
  return {
    name: s.name,
    type: bss ? SHT_NOBITS : SHT_PROGBITS,
    flags: rodata ? SHF_ALLOC : SHF_WRITE | SHF_ALLOC,
    align: 8,
    entsize: 0,
    link: 0,
    info: 0,
    data: bss ? new Uint8Array(0) : s.data,
    nobitsSize: bss ? s.data.byteLength : undefined,
  };
}

function writeHeader(out: Uint8Array, shoff: number, shnum: number, shstrndx: number): void {
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  ELF_MAGIC.forEach((b, i) => v.setUint8(i, b));
  v.setUint8(4, ELFCLASS64);
  v.setUint8(5, ELFDATA2LSB);
  v.setUint8(6, EV_CURRENT);
  v.setUint16(16, ET_REL, true);
  v.setUint16(18, EM_BPF, true);
  v.setUint32(20, EV_CURRENT, true);
  v.setBigUint64(40, BigInt(shoff), true);
  v.setUint16(52, EHDR_SIZE, true);
  v.setUint16(58, SHDR_SIZE, true);
  v.setUint16(60, shnum, true);
  v.setUint16(62, shstrndx, true);
}

/** A string table: offset 0 is the empty string, each other string is stored once. */
class StringTable {
  private readonly w = new ByteWriter();
  private readonly offs = new Map<string, number>([['', 0]]);
  constructor() {
    this.w.u8(0);
  }
  add(s: string): number {
    let off = this.offs.get(s);
    if (off === undefined) {
      off = this.w.length;
      this.w.bytes(new TextEncoder().encode(s));
      this.w.u8(0);
      this.offs.set(s, off);
    }
    return off;
  }
  finish(): Uint8Array {
    return this.w.finish();
  }
}
