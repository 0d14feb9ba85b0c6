/**
 * The disassembly listing of an object, laid out as `llvm-objdump -d -r` lays it out:
 * a header per code section, a `<symbol>:` line where a symbol starts, then per
 * instruction its slot index, its bytes (unless `showRaw` is off) and its text, with jump
 * targets annotated `<symbol+0xoff>` and relocations on their own lines.
 */

import { LDDW_CODE, slotHex } from '../isa/insn';
import { lookupRow } from '../isa/opcodes';
import { jumpTarget } from '../isa/validate';
import { BpfObject, BpfSymbol, Reloc, Section } from '../object';
import { Dialect } from './match';
import { printInsn } from './print';

export interface ListingOptions {
  dialect?: Dialect;
  showRaw?: boolean;
  /** Only this section. */
  section?: string;
  /** Print relocations on lines of their own (`-r`), as llvm-objdump does; default true. */
  relocs?: boolean;
}

/** ELF relocation type numbers (include/uapi/linux/... and LLVM's BPF ELF relocation list). */
export const R_BPF_64_64 = 1;
export const R_BPF_64_32 = 10;
const RELOC_NAMES: Record<number, string> = { 1: 'R_BPF_64_64', 2: 'R_BPF_64_ABS64', 3: 'R_BPF_64_ABS32', 4: 'R_BPF_64_NODYLD32', 10: 'R_BPF_64_32' };

export function relocTypeName(r: Reloc): string {
  const t = r.elfType ?? (r.kind === 'call' ? R_BPF_64_32 : R_BPF_64_64);
  return RELOC_NAMES[t] ?? `R_BPF_${t}`;
}

/** Symbols worth naming in a listing: not assembler temporaries (`.L...`) nor section symbols. */
export function listedSymbols(obj: BpfObject, section: string): BpfSymbol[] {
  return obj.symbols
    .filter((s) => s.section === section && s.kind !== 'section' && !s.name.startsWith('.L') && s.name !== '')
    .sort((a, b) => a.offset - b.offset);
}

export function disassemble(obj: BpfObject, opts: ListingOptions = {}): string {
  const out: string[] = [];
  for (const sec of obj.sections) {
    // llvm-objdump leaves empty sections out (clang always emits an empty .text).
    if (sec.kind !== 'code' || sec.insns.length === 0 || (opts.section && sec.name !== opts.section)) continue;
    out.push(...sectionListing(obj, sec, opts));
  }
  return out.join('\n') + '\n';
}

export function sectionListing(obj: BpfObject, sec: Section, opts: ListingOptions = {}): string[] {
  const dialect = opts.dialect ?? 'llvm';
  const showRaw = opts.showRaw ?? true;
  const syms = listedSymbols(obj, sec.name);
  const atSlot = new Map<number, string>();
  for (const s of syms) if (s.offset % 8 === 0 && !atSlot.has(s.offset / 8)) atSlot.set(s.offset / 8, s.name);
  const relocs = new Map<number, Reloc>();
  for (const r of sec.relocs) relocs.set(r.insnIdx, r);

  const lines: string[] = ['', `Disassembly of section ${sec.name}:`];
  if (!atSlot.has(0)) lines.push('', `${addr(0)} <${sec.name}>:`);
  const insns = sec.insns;
  for (let pc = 0; pc < insns.length; pc++) {
    for (const s of syms.filter((y) => y.offset === pc * 8)) lines.push('', `${addr(pc * 8)} <${s.name}>:`);
    const i = insns[pc];
    const isPair = i.code === LDDW_CODE && pc + 1 < insns.length;
    const text = printInsn(insns, pc, {
      dialect,
      nameAt: (slot) => atSlot.get(slot),
      reloc: opts.relocs === false ? (slot) => relocs.get(slot) : undefined,
    });
    const bytes = isPair ? `${slotHex(i)} ${slotHex(insns[pc + 1])}` : slotHex(i);
    const row = lookupRow(i);
    const target = row ? jumpTarget(row, i, pc) : undefined;
    const note = target !== undefined && (row?.kind === 'ja' || row?.kind === 'jcond' || row?.kind === 'may_goto')
      ? ` <${symbolize(sec, syms, target)}>` : '';
    lines.push(`${String(pc).padStart(8)}:\t${showRaw ? bytes + '\t' : ''}${text}${note}`);
    const rel = relocs.get(pc);
    if (rel && opts.relocs !== false) lines.push(`\t\t${addr(pc * 8)}:  ${relocTypeName(rel)}\t${rel.symbol}`);
    if (isPair) pc++;
  }
  return lines;
}

function addr(byteOff: number): string {
  return byteOff.toString(16).padStart(16, '0');
}

/**
 * `<name>` or `<name+0xoff>` from the nearest symbol at or before the target, else the
 * section. Addresses are unsigned 64-bit, as llvm-objdump treats them: a target before the
 * section start wraps around and is named after the last symbol.
 */
function symbolize(sec: Section, syms: BpfSymbol[], slot: number): string {
  const target = BigInt.asUintN(64, BigInt(slot) * 8n);
  let best: { name: string; offset: bigint } | undefined = syms.some((s) => s.offset === 0) ? undefined : { name: sec.name, offset: 0n };
  for (const s of syms) {
    const o = BigInt(s.offset);
    if (o <= target && (!best || o >= best.offset)) best = { name: s.name, offset: o };
  }
  if (!best) return sec.name;
  const delta = target - best.offset;
  return delta === 0n ? best.name : `${best.name}+0x${delta.toString(16)}`;
}
