/**
 * Location lists (.debug_loclists) and range lists (.debug_rnglists) of DWARF 5: the
 * address ranges, as half-open [start, end) byte offsets in the function's code section,
 * and (for locations) the expression that holds over each. An attribute names a list by
 * index (DW_FORM_loclistx, rnglistx: through the offsets table at the unit's base) or by
 * offset (DW_FORM_sec_offset).
 *
 * Never throws: a list that runs off its section ends there, with what was read so far and
 * `bad` set.
 */

import { Cursor } from './cursor';
import { DW_FORM, DW_LLE, DW_RLE } from './constants';
import { Attr, Unit, safe } from './info';

export interface LocEntry {
  start: number;
  end: number;
  expr: Uint8Array;
  /** DW_LLE_default_location: holds wherever no other entry does. */
  isDefault?: boolean;
}

export interface ListResult<T> {
  entries: T[];
  bad: boolean;
}

const MAX_ENTRIES = 10_000;

/** The location list an attribute names, or undefined when the attribute is not a list reference. */
export function locationList(unit: Unit, a: Attr): ListResult<LocEntry> | undefined {
  const off = listOffset(unit, a, DW_FORM.loclistx, unit.loclistsBase, unit.sections.loclists);
  if (off === undefined) return undefined;
  const bytes = unit.sections.loclists;
  if (!bytes || off < 0) return { entries: [], bad: true };
  const c = new Cursor(bytes, off);
  const entries: LocEntry[] = [];
  let base = unit.baseAddress;
  const expr = () => c.block(c.uleb());
  while (!c.bad && entries.length < MAX_ENTRIES) {
    const kind = c.u8();
    if (c.bad || kind === DW_LLE.end_of_list) break;
    switch (kind) {
      case DW_LLE.base_addressx: base = unit.addrAt(c.uleb()) ?? NaN; break;
      case DW_LLE.base_address: base = c.uN(unit.addrSize); break;
      case DW_LLE.startx_endx: { const s = unit.addrAt(c.uleb()) ?? NaN; const e = unit.addrAt(c.uleb()) ?? NaN; entries.push({ start: s, end: e, expr: expr() }); break; }
      case DW_LLE.startx_length: { const s = unit.addrAt(c.uleb()) ?? NaN; const n = c.uleb(); entries.push({ start: s, end: s + n, expr: expr() }); break; }
      case DW_LLE.offset_pair: { const s = c.uleb(); const e = c.uleb(); entries.push({ start: base + s, end: base + e, expr: expr() }); break; }
      case DW_LLE.default_location: entries.push({ start: 0, end: 0, expr: expr(), isDefault: true }); break;
      case DW_LLE.start_end: { const s = c.uN(unit.addrSize); const e = c.uN(unit.addrSize); entries.push({ start: s, end: e, expr: expr() }); break; }
      case DW_LLE.start_length: { const s = c.uN(unit.addrSize); const n = c.uleb(); entries.push({ start: s, end: s + n, expr: expr() }); break; }
      default: c.bad = true;
    }
  }
  return { entries: entries.filter((e) => e.isDefault || (Number.isFinite(e.start) && Number.isFinite(e.end))), bad: c.bad };
}

/** The ranges a DW_AT_ranges attribute names. */
export function rangeList(unit: Unit, a: Attr): ListResult<[number, number]> {
  const off = listOffset(unit, a, DW_FORM.rnglistx, unit.rnglistsBase, unit.sections.rnglists);
  const bytes = unit.sections.rnglists;
  if (off === undefined || !bytes || off < 0) return { entries: [], bad: true };
  const c = new Cursor(bytes, off);
  const entries: [number, number][] = [];
  let base = unit.baseAddress;
  while (!c.bad && entries.length < MAX_ENTRIES) {
    const kind = c.u8();
    if (c.bad || kind === DW_RLE.end_of_list) break;
    switch (kind) {
      case DW_RLE.base_addressx: base = unit.addrAt(c.uleb()) ?? NaN; break;
      case DW_RLE.base_address: base = c.uN(unit.addrSize); break;
      case DW_RLE.startx_endx: entries.push([unit.addrAt(c.uleb()) ?? NaN, unit.addrAt(c.uleb()) ?? NaN]); break;
      case DW_RLE.startx_length: { const s = unit.addrAt(c.uleb()) ?? NaN; entries.push([s, s + c.uleb()]); break; }
      case DW_RLE.offset_pair: { const s = c.uleb(); const e = c.uleb(); entries.push([base + s, base + e]); break; }
      case DW_RLE.start_end: { const s = c.uN(unit.addrSize); entries.push([s, c.uN(unit.addrSize)]); break; }
      case DW_RLE.start_length: { const s = c.uN(unit.addrSize); entries.push([s, s + c.uleb()]); break; }
      default: c.bad = true;
    }
  }
  return { entries: entries.filter(([s, e]) => Number.isFinite(s) && Number.isFinite(e)), bad: c.bad };
}

/**
 * Where in its section a list starts: an index goes through the offsets table that follows
 * the list section's header (entries relative to `base`); a sec_offset is the offset itself.
 */
function listOffset(unit: Unit, a: Attr, indexForm: number, base: number, bytes: Uint8Array | undefined): number | undefined {
  if (typeof a.value !== 'bigint') return undefined;
  const v = safe(a.value);
  if (a.form === indexForm) {
    if (!bytes || v < 0) return -1;
    const c = new Cursor(bytes, base + v * unit.offsetSize);
    const rel = c.uN(unit.offsetSize);
    return c.bad ? -1 : base + rel;
  }
  if (a.form === DW_FORM.sec_offset || (unit.version < 5 && (a.form === DW_FORM.data4 || a.form === DW_FORM.data8))) {
    // DWARF 4 lists live in .debug_loc/.debug_ranges, which this reader does not read.
    return unit.version >= 5 ? v : -1;
  }
  return undefined;
}
