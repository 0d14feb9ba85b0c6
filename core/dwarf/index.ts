/**
 * core/dwarf: the DWARF debug information of a BPF object (clang -g), read into functions,
 * their scopes and their variables, for the debugger's Locals.
 *
 * Invariants: pure (bytes in, plain data out); never throws and never reads out of bounds,
 * whatever the bytes (what cannot be read is a diagnostic with code 'dwarf'); addresses
 * are byte offsets in a code section of the relocatable object (slot = offset / 8), as the
 * raw bytes hold them before relocation.
 */

import { Diagnostic, error } from '../diag';
import { Die, DwarfSections, readInfo, Unit } from './info';
import { DwarfFunction, functionsOf } from './scopes';
import { DwarfTypes } from './types';

export { DwarfSections, Unit, Die } from './info';
export { DwarfFunction, DwarfScope, DwarfVariable, VarLocation } from './scopes';
export { LocEntry } from './lists';
export { Decoded, Place, EvalEnv, decodeExpr, evaluate, exprText } from './expr';
export { DwarfTypes } from './types';

export interface DwarfInfo {
  units: Unit[];
  functions: DwarfFunction[];
  /** Types of the variables, BTF-shaped (core/btf/types.ts). */
  types: DwarfTypes;
  diagnostics: Diagnostic[];
}

/** The DWARF sections of an object, from its `.debug_*` sections by name. */
export function dwarfSections(debug: Readonly<Record<string, Uint8Array>>): DwarfSections {
  return {
    info: debug['.debug_info'], abbrev: debug['.debug_abbrev'], str: debug['.debug_str'], lineStr: debug['.debug_line_str'],
    strOffsets: debug['.debug_str_offsets'], addr: debug['.debug_addr'], loclists: debug['.debug_loclists'], rnglists: debug['.debug_rnglists'],
  };
}

export function readDwarf(sections: DwarfSections): DwarfInfo {
  const all = new Map<number, Die>();
  const types = new DwarfTypes(all);
  try {
    const { units, diagnostics } = readInfo(sections);
    for (const u of units) for (const [off, d] of u.dies) all.set(off, d);
    const functions = functionsOf(units, all, types, diagnostics);
    return { units, functions, types, diagnostics };
  } catch (e) {
    // A bug of ours, not of the input: report it rather than take the debugger down.
    return { units: [], functions: [], types, diagnostics: [error('internal', `internal DWARF reader error: ${(e as Error).message}`)] };
  }
}
