/**
 * The functions of a DWARF unit as scopes: each concrete subprogram (one with code), its
 * lexical blocks and inlined subroutines, with their address ranges and their variables
 * and parameters. Names and types of an inlined or out-of-line instance come from its
 * abstract origin (DW_AT_abstract_origin, DW_AT_specification); its locations are its own.
 *
 * Addresses are byte offsets in the function's code section (a relocatable object).
 */

import { Diagnostic, warning } from '../diag';
import { DW_AT, DW_FORM, DW_TAG } from './constants';
import { Die, Unit, safe } from './info';
import { LocEntry, locationList, rangeList } from './lists';
import { DwarfTypes } from './types';

export type VarLocation =
  /** No DW_AT_location: optimized out everywhere. */
  | { kind: 'none' }
  /** One expression for the whole scope. */
  | { kind: 'expr'; expr: Uint8Array }
  | { kind: 'list'; entries: LocEntry[] }
  /** DW_AT_const_value: the value is known and lives nowhere. */
  | { kind: 'const'; value: bigint | Uint8Array | string };

export interface DwarfVariable {
  name: string;
  param: boolean;
  /** Id in DwarfTypes.types. */
  typeId: number;
  location: VarLocation;
  declLine?: number;
  /** .debug_info offset of the DIE, to tell apart two variables of one name. */
  offset: number;
}

export interface DwarfScope {
  kind: 'function' | 'inlined' | 'block';
  /** The function's name (for a block: its function's). */
  name: string;
  /** Half-open [start, end) byte ranges. */
  ranges: [number, number][];
  vars: DwarfVariable[];
  children: DwarfScope[];
  /** .debug_info offset of its DIE. */
  offset: number;
}

export interface DwarfFunction extends DwarfScope {
  kind: 'function';
  /** DW_AT_frame_base (clang: DW_OP_reg10). */
  frameBase?: Uint8Array;
  unit: Unit;
}

/** Enough nesting for any real program; more is a cycle or a hostile file. */
const MAX_SCOPE_DEPTH = 48;

export function functionsOf(units: readonly Unit[], all: Map<number, Die>, types: DwarfTypes, diags: Diagnostic[]): DwarfFunction[] {
  const out: DwarfFunction[] = [];
  const visit = (die: Die, depth: number) => {
    if (depth > MAX_SCOPE_DEPTH) return;
    if (die.tag === DW_TAG.subprogram) {
      const ranges = rangesOf(die, diags);
      if (ranges.length) {
        const name = nameOf(die, all) ?? '';
        const fb = die.attrs.get(DW_AT.frame_base)?.value;
        const fn: DwarfFunction = { kind: 'function', name, ranges, vars: [], children: [], offset: die.offset, unit: die.unit, frameBase: fb instanceof Uint8Array ? fb : undefined };
        fill(fn, die, all, types, diags, depth);
        out.push(fn);
        return;
      }
    }
    for (const c of die.children) visit(c, depth + 1);
  };
  for (const u of units) if (u.root) visit(u.root, 0);
  return out;
}

function fill(scope: DwarfScope, die: Die, all: Map<number, Die>, types: DwarfTypes, diags: Diagnostic[], depth: number): void {
  if (depth > MAX_SCOPE_DEPTH) return;
  for (const c of die.children) {
    if (c.tag === DW_TAG.formal_parameter || c.tag === DW_TAG.variable) {
      const v = variableOf(c, all, types, diags);
      if (v) scope.vars.push(v);
    } else if (c.tag === DW_TAG.lexical_block || c.tag === DW_TAG.inlined_subroutine) {
      const inlined = c.tag === DW_TAG.inlined_subroutine;
      const child: DwarfScope = { kind: inlined ? 'inlined' : 'block', name: inlined ? nameOf(c, all) ?? '' : scope.name, ranges: rangesOf(c, diags), vars: [], children: [], offset: c.offset };
      fill(child, c, all, types, diags, depth + 1);
      scope.children.push(child);
    }
  }
}

function variableOf(die: Die, all: Map<number, Die>, types: DwarfTypes, diags: Diagnostic[]): DwarfVariable | undefined {
  const origin = originOf(die, all);
  const name = nameOf(die, all);
  if (!name) return undefined; // an unnamed parameter (a prototype's) shows nothing anyone could ask for
  const loc = die.attrs.get(DW_AT.location);
  const cv = die.attrs.get(DW_AT.const_value);
  let location: VarLocation = { kind: 'none' };
  if (cv) location = { kind: 'const', value: cv.value };
  else if (loc && loc.form === DW_FORM.exprloc && loc.value instanceof Uint8Array) location = { kind: 'expr', expr: loc.value };
  else if (loc) {
    const list = locationList(die.unit, loc);
    if (list) {
      if (list.bad) diags.push(warning('dwarf', `the location list of '${name}' is cut short`));
      location = { kind: 'list', entries: list.entries };
    } else if (loc.value instanceof Uint8Array) location = { kind: 'expr', expr: loc.value };
  }
  const typed = die.attrs.has(DW_AT.type) ? die : origin;
  const line = (origin ?? die).attrs.get(DW_AT.decl_line)?.value;
  return {
    name, param: die.tag === DW_TAG.formal_parameter, typeId: typed ? types.typeOf(typed) : 0, location, offset: die.offset,
    ...(typeof line === 'bigint' ? { declLine: safe(line) } : {}),
  };
}

/** The DIE an instance names as its abstract origin or specification (followed a few steps). */
function originOf(die: Die, all: Map<number, Die>): Die | undefined {
  let d: Die | undefined = die;
  let found: Die | undefined;
  for (let k = 0; d && k < 8; k++) {
    const next: Die | undefined = d.unit.ref(d.attrs.get(DW_AT.abstract_origin) ?? d.attrs.get(DW_AT.specification), all);
    if (!next || next === d) break;
    found = d = next;
  }
  return found;
}

function nameOf(die: Die, all: Map<number, Die>): string | undefined {
  let d: Die | undefined = die;
  for (let k = 0; d && k < 8; k++) {
    const n = d.unit.str(d.attrs.get(DW_AT.name));
    if (n) return n;
    d = d.unit.ref(d.attrs.get(DW_AT.abstract_origin) ?? d.attrs.get(DW_AT.specification), all);
  }
  return undefined;
}

/** DW_AT_low_pc with DW_AT_high_pc (an address, or a length for constant forms), or DW_AT_ranges. */
function rangesOf(die: Die, diags: Diagnostic[]): [number, number][] {
  const u = die.unit;
  const low = u.addr(die.attrs.get(DW_AT.low_pc));
  const highAttr = die.attrs.get(DW_AT.high_pc);
  if (low !== undefined && highAttr && typeof highAttr.value === 'bigint') {
    const isAddr = highAttr.form === DW_FORM.addr || highAttr.form === DW_FORM.addrx || (highAttr.form >= DW_FORM.addrx1 && highAttr.form <= DW_FORM.addrx4);
    const high = isAddr ? u.addr(highAttr) : low + safe(highAttr.value);
    return high !== undefined && high > low ? [[low, high]] : [];
  }
  const r = die.attrs.get(DW_AT.ranges);
  if (r) {
    const list = rangeList(u, r);
    if (list.bad) diags.push(warning('dwarf', `the range list of the DIE at offset ${die.offset} is cut short`));
    return list.entries.filter(([s, e]) => e > s);
  }
  return low !== undefined ? [[low, low + 1]] : [];
}
