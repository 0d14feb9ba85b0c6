/**
 * A small object built by hand, shared by the writer, error and fuzz tests: an XDP
 * program that looks up a hash map and an array_of_maps, reads a global in .data and
 * calls a .text subprogram. The kernel's verifier accepts it.
 */

import { Insn, insn } from '../../core/isa/insn';
import { BpfObject, MapDef, emptyObject } from '../../core/object';

export const MAPS: MapDef[] = [
  { name: 'counts', type: 'hash', keySize: 4, valueSize: 8, maxEntries: 1024, flags: 0 },
  { name: 'inner_tmpl', type: 'array', keySize: 4, valueSize: 4, maxEntries: 4, flags: 0 },
  { name: 'outer', type: 'array_of_maps', keySize: 4, valueSize: 4, maxEntries: 8, flags: 0, inner: 'inner_tmpl' },
];

/** The hand-built object; `gvar` is a u32 in .data at offset 4. */
export function handObject(): BpfObject {
  const obj = emptyObject();
  const xdp: Insn[] = [
    insn(0xb7, 1, 0, 0, 0), // r1 = 0
    insn(0x63, 10, 1, -4, 0), // *(u32 *)(r10 - 4) = r1
    insn(0xbf, 2, 10), // r2 = r10
    insn(0x07, 2, 0, 0, -4), // r2 += -4
    insn(0x18, 1), insn(0), // r1 = counts ll
    insn(0x85, 0, 0, 0, 1), // call bpf_map_lookup_elem
    insn(0xbf, 2, 10),
    insn(0x07, 2, 0, 0, -4),
    insn(0x18, 1), insn(0), // r1 = outer ll
    insn(0x85, 0, 0, 0, 1),
    insn(0x18, 1), insn(0), // r1 = &gvar (map_value .data + 4)
    insn(0x61, 0, 1, 0, 0), // r0 = *(u32 *)(r1 + 0)
    insn(0x85, 0, 1, 0, -1), // call sub
    insn(0xb7, 0, 0, 0, 2), // done: r0 = XDP_PASS
    insn(0x95), // exit
  ];
  obj.sections.push(
    { name: 'xdp', kind: 'code', insns: xdp, data: new Uint8Array(0), lines: [], relocs: [
      { insnIdx: 4, kind: 'map', symbol: 'counts', addend: 0 },
      { insnIdx: 9, kind: 'map', symbol: 'outer', addend: 0 },
      { insnIdx: 12, kind: 'map_value', symbol: 'gvar', addend: 4 },
      { insnIdx: 15, kind: 'call', symbol: 'sub', addend: 0 },
    ] },
    { name: '.text', kind: 'code', insns: [insn(0xb7, 0, 0, 0, 7), insn(0x95)], data: new Uint8Array(0), lines: [], relocs: [] },
    { name: '.data', kind: 'data', insns: [], data: new Uint8Array([1, 0, 0, 0, 42, 0, 0, 0]), lines: [], relocs: [] },
  );
  obj.symbols.push(
    { name: 'count_prog', section: 'xdp', offset: 0, size: 0, global: true, kind: 'func' },
    { name: 'done', section: 'xdp', offset: 16 * 8, size: 0, global: false, kind: 'label' },
    { name: 'sub', section: '.text', offset: 0, size: 0, global: false, kind: 'func' },
    { name: 'gvar', section: '.data', offset: 4, size: 4, global: true, kind: 'object' },
  );
  obj.maps = MAPS.map((m) => ({ ...m }));
  obj.license = 'GPL';
  return obj;
}

