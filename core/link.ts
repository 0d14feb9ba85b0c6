/**
 * From an object to loadable programs, as libbpf does it.
 *
 * `listPrograms` finds the programs: each global function of a code section, or the whole
 * section when it has none; `.text` is a program only in an object with no other code
 * section (otherwise it holds subprograms). `linkProgram` lays one program out as the
 * kernel will see it: its own instructions, then each subprogram it calls (directly or
 * through another subprogram) appended once, in the order the calls are met — libbpf's
 * order, so that instruction numbers match the kernel's log. Calls are re-pointed; map
 * references become `mapRefs` (slot -> map), whatever form the object had them in
 * (an ELF relocation, or raw src=1/src=2 with the map's index).
 */

import { Diagnostic, error } from './diag';
import { Insn, LDDW_CODE } from './isa/insn';
import { BpfObject, Section, SourcePos } from './object';

export interface ProgramRef {
  section: string;
  name: string;
  /** Slot range [start, end) in the section. */
  start: number;
  end: number;
}

export interface MapRef {
  map: string;
  /** 'map': the map itself (BPF_PSEUDO_MAP_FD); 'map_value': an address in its value. */
  kind: 'map' | 'map_value';
  offset: number;
}

export interface LinkedProgram {
  ref: ProgramRef;
  insns: Insn[];
  /** Source position of each slot. */
  lines: (SourcePos | undefined)[];
  /** Section and slot each linked slot came from. */
  origin: { section: string; slot: number }[];
  mapRefs: Map<number, MapRef>;
  /** Function entry slots (0 and each appended subprogram), with names where known. */
  functions: { slot: number; name: string }[];
}

export function listPrograms(obj: BpfObject): ProgramRef[] {
  const code = obj.sections.filter((s) => s.kind === 'code' && s.insns.length > 0);
  const progs: ProgramRef[] = [];
  for (const sec of code) {
    if (sec.name === '.text' && code.length > 1) continue;
    const globals = obj.symbols
      .filter((y) => y.section === sec.name && y.kind === 'func' && y.global && y.offset % 8 === 0)
      .sort((a, b) => a.offset - b.offset);
    if (globals.length === 0) {
      progs.push({ section: sec.name, name: sec.name, start: 0, end: sec.insns.length });
      continue;
    }
    globals.forEach((g, k) => {
      const end = k + 1 < globals.length ? globals[k + 1].offset / 8 : sec.insns.length;
      progs.push({ section: sec.name, name: g.name, start: g.offset / 8, end });
    });
  }
  return progs;
}

/** Where functions start in a section: function symbols and the targets of local calls. */
function functionStarts(obj: BpfObject, sec: Section): number[] {
  const starts = new Set<number>([0]);
  for (const y of obj.symbols) if (y.section === sec.name && y.kind === 'func') starts.add(y.offset / 8);
  sec.insns.forEach((i, pc) => {
    if (i.code === 0x85 && i.src === 1 && !sec.relocs.some((r) => r.insnIdx === pc)) starts.add(pc + 1 + i.imm);
  });
  return [...starts].sort((a, b) => a - b);
}

export function linkProgram(obj: BpfObject, ref: ProgramRef): { program: LinkedProgram; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const insns: Insn[] = [];
  const lines: (SourcePos | undefined)[] = [];
  const origin: { section: string; slot: number }[] = [];
  const mapRefs = new Map<number, MapRef>();
  const functions: { slot: number; name: string }[] = [{ slot: 0, name: ref.name }];
  /** `section:slot` of a function start -> its linked slot. */
  const placed = new Map<string, number>();

  const append = (sec: Section, start: number, end: number, name: string): number => {
    const at = insns.length;
    placed.set(`${sec.name}:${start}`, at);
    for (let s = start; s < end; s++) {
      insns.push({ ...sec.insns[s] });
      lines.push(sec.lines[s]);
      origin.push({ section: sec.name, slot: s });
    }
    if (at > 0) functions.push({ slot: at, name });
    return at;
  };

  const sectionOf = (name: string) => obj.sections.find((s) => s.name === name && s.kind === 'code');
  const firstSec = sectionOf(ref.section);
  if (!firstSec) return { program: { ref, insns, lines, origin, mapRefs, functions }, diagnostics: [error('link', `no code section ${ref.section}`)] };
  append(firstSec, ref.start, ref.end, ref.name);

  // Ranges already in the program: [linkedStart, sec, start, end).
  const ranges = [{ at: 0, sec: firstSec, start: ref.start, end: ref.end }];
  const startsCache = new Map<string, number[]>();
  const rangeOf = (sec: Section, slot: number) => {
    const starts = startsCache.get(sec.name) ?? functionStarts(obj, sec);
    startsCache.set(sec.name, starts);
    const start = [...starts].reverse().find((s) => s <= slot) ?? 0;
    const end = starts.find((s) => s > start) ?? sec.insns.length;
    return { start, end };
  };
  const nameAt = (sec: Section, slot: number) =>
    obj.symbols.find((y) => y.section === sec.name && y.offset === slot * 8 && y.kind !== 'section')?.name ?? `${sec.name}+${slot}`;

  /** The linked slot of a function (appending it if needed). */
  const place = (sec: Section, slot: number): number => {
    const inRange = ranges.find((r) => r.sec === sec && slot >= r.start && slot < r.end);
    if (inRange) return inRange.at + (slot - inRange.start);
    const { start, end } = rangeOf(sec, slot);
    const at = append(sec, start, end, nameAt(sec, start));
    ranges.push({ at, sec, start, end });
    return at + (slot - start);
  };

  // Walk the growing program: each call met may append its callee (libbpf's order).
  for (let pc = 0; pc < insns.length; pc++) {
    const { section, slot } = origin[pc];
    const sec = sectionOf(section)!;
    const i = insns[pc];
    const rel = sec.relocs.find((r) => r.insnIdx === slot);
    if (rel && (rel.kind === 'map' || rel.kind === 'map_value')) {
      if (!obj.maps.some((m) => m.name === rel.symbol)) diagnostics.push(error('link', `unknown map '${rel.symbol}'`));
      mapRefs.set(pc, { map: rel.symbol, kind: rel.kind, offset: rel.addend + (rel.kind === 'map_value' ? i.imm : 0) });
      i.src = 0;
      i.imm = 0;
    } else if (i.code === LDDW_CODE && (i.src === 1 || i.src === 2) && !rel) {
      // Raw form: the map's declaration index in imm (core/asm/raw.ts).
      const m = obj.maps[i.imm];
      if (!m) diagnostics.push(error('link', `lddw at insn ${pc} refers to map index ${i.imm}, but the object declares ${obj.maps.length} maps`));
      else {
        mapRefs.set(pc, { map: m.name, kind: i.src === 1 ? 'map' : 'map_value', offset: i.src === 2 ? insns[pc + 1]?.imm ?? 0 : 0 });
        i.src = 0;
        i.imm = 0;
        if (insns[pc + 1]) insns[pc + 1].imm = 0;
      }
    } else if (rel && rel.kind === 'func' && i.code === LDDW_CODE) {
      // A callback's address (bpf_loop, for_each_map_elem): libbpf makes it BPF_PSEUDO_FUNC,
      // imm relative to the next slot. Against a section symbol the lddw's imm is the byte offset.
      const sym = obj.symbols.find((y) => y.name === rel.symbol && y.kind !== 'section');
      const targetSec = sym ? sectionOf(sym.section) : sectionOf(rel.symbol);
      const targetSlot = (sym ? sym.offset : 0) / 8 + i.imm / 8;
      if (!targetSec || targetSlot < 0 || targetSlot >= targetSec.insns.length) {
        diagnostics.push(error('link', `lddw at insn ${pc} takes the address of ${rel.symbol}, which is not in the object`));
      } else {
        i.src = 4;
        i.imm = place(targetSec, targetSlot) - (pc + 1);
      }
    } else if (i.code === LDDW_CODE && i.src === 4) {
      const targetSlot = slot + 1 + i.imm;
      if (targetSlot >= 0 && targetSlot < sec.insns.length) i.imm = place(sec, targetSlot) - (pc + 1);
    } else if (i.code === 0x85 && i.src === 1) {
      let targetSec: Section | undefined = sec;
      let targetSlot = slot + 1 + i.imm;
      if (rel) {
        targetSec = sectionOf(rel.symbol) ?? sectionOf(obj.symbols.find((y) => y.name === rel.symbol)?.section ?? '');
        const sym = obj.symbols.find((y) => y.name === rel.symbol && y.kind !== 'section');
        // Against a section symbol, imm + 1 is the slot in that section (llvm-mc and clang).
        targetSlot = sym ? sym.offset / 8 : i.imm + 1;
      }
      if (!targetSec || targetSlot < 0 || targetSlot >= targetSec.insns.length) {
        diagnostics.push(error('link', `call at insn ${pc} goes to ${rel ? rel.symbol : `slot ${targetSlot}`}, which is not in the object`));
      } else {
        i.imm = place(targetSec, targetSlot) - (pc + 1);
      }
    }
    if (i.code === LDDW_CODE) pc++;
  }
  return { program: { ref, insns, lines, origin, mapRefs, functions }, diagnostics };
}

/**
 * The linked slots with map references in the raw encoding (core/asm/raw.ts): src=1 and
 * imm = the map's index for a map, src=2 with the index and the offset in the second slot
 * for an address in its value. What core/kernel's patchMapFds turns into real fds.
 */
export function rawLinkedSlots(program: LinkedProgram, mapIndex: (name: string) => number): Insn[] {
  const out = program.insns.map((i) => ({ ...i }));
  for (const [slot, ref] of program.mapRefs) {
    out[slot].src = ref.kind === 'map' ? 1 : 2;
    out[slot].imm = mapIndex(ref.map);
    if (ref.kind === 'map_value' && out[slot + 1]) out[slot + 1].imm = ref.offset;
  }
  return out;
}
