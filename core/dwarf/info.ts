/**
 * .debug_info as a tree of DIEs: the unit headers (DWARF 5 compile and partial units; DWARF 4
 * compile units too), the abbreviation tables of .debug_abbrev, and every attribute form of
 * DWARF 5. Attribute values stay raw here (a strx form keeps its index, a loclistx its
 * index): the unit's bases (DW_AT_str_offsets_base...) come with the unit's own DIE, after
 * some of the attributes that need them, so `Unit` resolves them on demand.
 *
 * In a relocatable object the relocations against .debug_* and code sections keep their
 * addend in place (BPF uses SHT_REL), so the raw bytes already hold section-relative
 * offsets and addresses; nothing is relocated here.
 *
 * Never throws: a unit that cannot be read is a diagnostic, and the units before it stay.
 */

import { Diagnostic, error } from '../diag';
import { Cursor } from './cursor';
import { DW_AT, DW_FORM, DW_UT_compile } from './constants';

export interface DwarfSections {
  info?: Uint8Array;
  abbrev?: Uint8Array;
  str?: Uint8Array;
  lineStr?: Uint8Array;
  strOffsets?: Uint8Array;
  addr?: Uint8Array;
  loclists?: Uint8Array;
  rnglists?: Uint8Array;
}

/** An attribute as read: numbers (constants, offsets, indexes) as bigint; blocks and inline strings as they are. */
export interface Attr {
  form: number;
  value: bigint | Uint8Array | string;
}

export interface Die {
  /** Offset in .debug_info. */
  offset: number;
  tag: number;
  attrs: Map<number, Attr>;
  children: Die[];
  unit: Unit;
}

/** Caps that keep a hostile file from costing more than a real one could. */
const MAX_DIES = 200_000;
const MAX_DEPTH = 64;

export class Unit {
  root?: Die;
  /** Every DIE of the unit by .debug_info offset, for references. */
  readonly dies = new Map<number, Die>();

  constructor(readonly sections: DwarfSections, readonly offset: number, readonly version: number, readonly addrSize: number, readonly offsetSize: number) {}

  private base(at: number, dflt: number): number {
    const a = this.root?.attrs.get(at);
    return a && typeof a.value === 'bigint' ? safe(a.value) : dflt;
  }
  get strOffsetsBase(): number { return this.base(DW_AT.str_offsets_base, 8); }
  get addrBase(): number { return this.base(DW_AT.addr_base, 8); }
  get loclistsBase(): number { return this.base(DW_AT.loclists_base, 12); }
  get rnglistsBase(): number { return this.base(DW_AT.rnglists_base, 12); }
  /** The unit's base address (its DW_AT_low_pc): where offset_pair list entries count from. */
  get baseAddress(): number { return this.addr(this.root?.attrs.get(DW_AT.low_pc)) ?? 0; }

  /** A string attribute, whatever its form; undefined when it points outside its section. */
  str(a: Attr | undefined): string | undefined {
    if (!a) return undefined;
    if (typeof a.value === 'string') return a.value;
    if (typeof a.value !== 'bigint') return undefined;
    const v = safe(a.value);
    switch (a.form) {
      case DW_FORM.strp: return cstrAt(this.sections.str, v);
      case DW_FORM.line_strp: return cstrAt(this.sections.lineStr, v);
      case DW_FORM.strx: case DW_FORM.strx1: case DW_FORM.strx2: case DW_FORM.strx3: case DW_FORM.strx4: {
        if (!this.sections.strOffsets) return undefined;
        const c = new Cursor(this.sections.strOffsets, this.strOffsetsBase + v * this.offsetSize);
        const off = c.uN(this.offsetSize);
        return c.bad ? undefined : cstrAt(this.sections.str, off);
      }
      default: return undefined;
    }
  }

  /** The `index`th entry of this unit's .debug_addr table. */
  addrAt(index: number): number | undefined {
    if (!this.sections.addr || !Number.isSafeInteger(index) || index < 0) return undefined;
    const c = new Cursor(this.sections.addr, this.addrBase + index * this.addrSize);
    const v = c.uN(this.addrSize);
    return c.bad ? undefined : v;
  }

  /** An address attribute (DW_FORM_addr or addrx*). */
  addr(a: Attr | undefined): number | undefined {
    if (!a || typeof a.value !== 'bigint') return undefined;
    const v = safe(a.value);
    if (a.form === DW_FORM.addr) return v;
    if (a.form === DW_FORM.addrx || (a.form >= DW_FORM.addrx1 && a.form <= DW_FORM.addrx4)) return this.addrAt(v);
    return undefined;
  }

  /** The referenced DIE of a reference attribute (same unit, or any unit through `all`). */
  ref(a: Attr | undefined, all?: Map<number, Die>): Die | undefined {
    if (!a || typeof a.value !== 'bigint') return undefined;
    const off = safe(a.value);
    return this.dies.get(off) ?? all?.get(off);
  }
}

export interface InfoResult {
  units: Unit[];
  diagnostics: Diagnostic[];
}

export function readInfo(sections: DwarfSections): InfoResult {
  const units: Unit[] = [];
  const diagnostics: Diagnostic[] = [];
  const info = sections.info;
  if (!info) return { units, diagnostics };
  const abbrevCache = new Map<number, Map<number, Abbrev> | undefined>();
  const budget = { dies: MAX_DIES };
  let off = 0;
  while (off + 4 <= info.length) {
    const c = new Cursor(info, off);
    let length = c.u32();
    let offsetSize = 4;
    if (length === 0xffffffff) { length = c.u64(); offsetSize = 8; }
    const contentStart = c.off;
    const end = contentStart + length;
    if (c.bad || length < 2 || end > info.length) {
      diagnostics.push(error('dwarf', `.debug_info: the unit at offset ${off} runs past the end of the section`));
      break;
    }
    const version = c.u16();
    let addrSize = 8, abbrevOff = 0, unitType = DW_UT_compile;
    if (version === 5) {
      unitType = c.u8();
      addrSize = c.u8();
      abbrevOff = c.uN(offsetSize);
    } else if (version >= 2 && version <= 4) {
      abbrevOff = c.uN(offsetSize);
      addrSize = c.u8();
    } else {
      diagnostics.push(error('dwarf', `.debug_info: unit at offset ${off} has DWARF version ${version}; versions 2 to 5 are read`));
      off = end;
      continue;
    }
    // Compile and partial units only: type, skeleton and split units have more header fields.
    if ((unitType !== DW_UT_compile && unitType !== 0x03) || (addrSize !== 4 && addrSize !== 8) || c.bad) {
      if (!c.bad) diagnostics.push(error('dwarf', `.debug_info: unit at offset ${off} has unit type ${unitType} and address size ${addrSize}, which this reader skips`));
      off = end;
      continue;
    }
    if (!abbrevCache.has(abbrevOff)) abbrevCache.set(abbrevOff, readAbbrevs(sections.abbrev, abbrevOff, diagnostics));
    const abbrevs = abbrevCache.get(abbrevOff);
    const unit = new Unit(sections, off, version, addrSize, offsetSize);
    if (abbrevs) {
      const dieCursor = new Cursor(info.subarray(0, end), c.off);
      readDies(dieCursor, unit, abbrevs, budget, diagnostics);
    }
    units.push(unit);
    off = end;
  }
  return { units, diagnostics };
}

interface Abbrev {
  tag: number;
  hasChildren: boolean;
  specs: { at: number; form: number; implicit?: bigint }[];
}

function readAbbrevs(bytes: Uint8Array | undefined, off: number, diags: Diagnostic[]): Map<number, Abbrev> | undefined {
  if (!bytes) {
    diags.push(error('dwarf', 'the object has .debug_info but no .debug_abbrev'));
    return undefined;
  }
  const out = new Map<number, Abbrev>();
  const c = new Cursor(bytes, off);
  for (;;) {
    const code = c.uleb();
    if (c.bad || code === 0) break;
    const tag = c.uleb();
    const hasChildren = c.u8() === 1;
    const specs: Abbrev['specs'] = [];
    for (;;) {
      const at = c.uleb();
      const form = c.uleb();
      if (c.bad || (at === 0 && form === 0)) break;
      specs.push(form === DW_FORM.implicit_const ? { at, form, implicit: c.slebBig() } : { at, form });
    }
    out.set(code, { tag, hasChildren, specs });
  }
  if (c.bad) diags.push(error('dwarf', `.debug_abbrev: the table at offset ${off} runs past the end of the section`));
  return out;
}

function readDies(c: Cursor, unit: Unit, abbrevs: Map<number, Abbrev>, budget: { dies: number }, diags: Diagnostic[]): void {
  const stack: Die[] = [];
  while (!c.atEnd) {
    const offset = c.off;
    const code = c.uleb();
    if (c.bad) break;
    if (code === 0) {
      stack.pop();
      if (stack.length === 0 && unit.root) break;
      continue;
    }
    const ab = abbrevs.get(code);
    if (!ab) {
      diags.push(error('dwarf', `.debug_info: DIE at offset ${offset} uses abbreviation ${code}, which its table lacks`));
      return;
    }
    if (--budget.dies < 0) {
      diags.push(error('dwarf', `.debug_info: more than ${MAX_DIES} DIEs; the rest are not read`));
      return;
    }
    const die: Die = { offset, tag: ab.tag, attrs: new Map(), children: [], unit };
    for (const s of ab.specs) {
      const v = readForm(c, s.form, unit, s.implicit, 0);
      if (c.bad) break;
      if (v !== undefined) die.attrs.set(s.at, { form: v.form, value: v.value });
    }
    if (c.bad) {
      diags.push(error('dwarf', `.debug_info: DIE at offset ${offset} runs past the end of its unit`));
      break;
    }
    unit.dies.set(offset, die);
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(die);
    else if (!unit.root) unit.root = die;
    else break; // a second top-level DIE: the unit is over
    if (ab.hasChildren) {
      if (stack.length >= MAX_DEPTH) {
        diags.push(error('dwarf', `.debug_info: DIEs nested deeper than ${MAX_DEPTH} at offset ${offset}`));
        return;
      }
      stack.push(die);
    } else if (!parent) break;
  }
}

/** One attribute value; references become .debug_info offsets. */
function readForm(c: Cursor, form: number, unit: Unit, implicit: bigint | undefined, depth: number): Attr | undefined {
  const F = DW_FORM;
  const big = (n: number) => ({ form, value: BigInt(n) });
  switch (form) {
    case F.addr: return big(c.uN(unit.addrSize));
    case F.data1: case F.ref1: case F.flag: case F.strx1: case F.addrx1:
      return form === F.ref1 ? big(unit.offset + c.u8()) : big(c.u8());
    case F.data2: case F.ref2: case F.strx2: case F.addrx2:
      return form === F.ref2 ? big(unit.offset + c.u16()) : big(c.u16());
    case F.strx3: case F.addrx3: return big(c.u24());
    case F.data4: case F.ref4: case F.strx4: case F.addrx4: case F.ref_sup4:
      return form === F.ref4 ? big(unit.offset + c.u32()) : big(c.u32());
    case F.data8: case F.ref_sig8: case F.ref_sup8: return { form, value: c.u64Big() };
    case F.ref8: return big(unit.offset + c.u64());
    case F.data16: return { form, value: c.block(16) };
    case F.sdata: return { form, value: c.slebBig() };
    case F.udata: case F.strx: case F.addrx: case F.loclistx: case F.rnglistx: return { form, value: c.ulebBig() };
    case F.ref_udata: return big(unit.offset + c.uleb());
    case F.ref_addr: return big(c.uN(unit.version <= 2 ? unit.addrSize : unit.offsetSize));
    case F.strp: case F.line_strp: case F.sec_offset: case F.strp_sup: return big(c.uN(unit.offsetSize));
    case F.string: return { form, value: c.cstr() };
    case F.block1: return { form, value: c.block(c.u8()) };
    case F.block2: return { form, value: c.block(c.u16()) };
    case F.block4: return { form, value: c.block(c.u32()) };
    case F.block: case F.exprloc: return { form, value: c.block(c.uleb()) };
    case F.flag_present: return { form, value: 1n };
    case F.implicit_const: return { form, value: implicit ?? 0n };
    case F.indirect: {
      const real = c.uleb();
      if (depth > 4 || real === F.indirect) { c.bad = true; return undefined; }
      return readForm(c, real, unit, implicit, depth + 1);
    }
    default:
      c.bad = true; // an unknown form has an unknown size: nothing after it can be read
      return undefined;
  }
}

/** A bigint as a number, or -1 (an offset that fits nothing) when it is not a safe non-negative integer. */
export function safe(v: bigint): number {
  return v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : -1;
}

function cstrAt(bytes: Uint8Array | undefined, off: number): string | undefined {
  if (!bytes || off < 0 || off >= bytes.length) return undefined;
  const c = new Cursor(bytes, off);
  const s = c.cstr();
  return c.bad ? undefined : s;
}
