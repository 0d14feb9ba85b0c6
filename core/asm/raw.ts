/**
 * Raw slots: the `.bin` format (little-endian instructions, 8 bytes a slot) and `--hex`.
 *
 * Raw slots carry no relocations, so symbolic references are encoded the way the kernel's
 * loader sees them before it patches fds in: a map as src=1 (BPF_PSEUDO_MAP_FD) with imm =
 * the map's 0-based declaration index, a map value as src=2 with the index and the offset
 * in the second slot (DESIGN.md, the `asm` command).
 */

import { Diagnostic, warning } from '../diag';
import { Insn, decodeSlots, SLOT_BYTES } from '../isa/insn';
import { BpfObject, Section, emptyObject } from '../object';

/** The section's slots with map references encoded for raw output. */
export function rawSlots(obj: BpfObject, sec: Section): Insn[] {
  const out = sec.insns.map((i) => ({ ...i }));
  for (const r of sec.relocs) {
    if (r.kind === 'func') {
      // A function in this section: BPF_PSEUDO_FUNC with imm relative to the next slot, as for
      // calls. The relocation names the function, or the section with the byte offset in imm.
      const lo = out[r.insnIdx];
      const byteOff = r.symbol === sec.name ? lo.imm : obj.symbols.find((y) => y.name === r.symbol && y.section === sec.name)?.offset;
      if (byteOff !== undefined) {
        lo.src = 4;
        lo.imm = byteOff / 8 - (r.insnIdx + 1);
      }
      continue;
    }
    const idx = obj.maps.findIndex((m) => m.name === r.symbol);
    if (idx < 0 || (r.kind !== 'map' && r.kind !== 'map_value')) continue;
    const lo = out[r.insnIdx];
    lo.src = r.kind === 'map' ? 1 : 2;
    lo.imm = idx;
    if (r.kind === 'map_value' && out[r.insnIdx + 1]) out[r.insnIdx + 1].imm = r.addend;
  }
  return out;
}

/** An object holding the slots of a `.bin` file as its one section, `.text`. */
export function objectFromBin(bytes: Uint8Array): { object: BpfObject; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const object = emptyObject();
  const insns = decodeSlots(bytes);
  if (bytes.length % SLOT_BYTES !== 0) {
    diagnostics.push(warning('partial-slot', `the file is ${bytes.length} bytes, not a multiple of 8; the last ${bytes.length % SLOT_BYTES} bytes are ignored`));
  }
  object.sections.push({ name: '.text', kind: 'code', insns, data: new Uint8Array(0), relocs: [], lines: insns.map((_, k) => ({ line: k, col: 0, endCol: 0 })) });
  return { object, diagnostics };
}
