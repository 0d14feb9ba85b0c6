/**
 * The JIT's code for memory: loads and stores through the regions' DataViews with the
 * interpreter's checks in line (the region from the address's high half, the offset and
 * size against its window, writability, a context's pointer fields), r10-relative stack
 * accesses without checks when the program never writes r10, and lddw. A failed check calls
 * the machine's own slow path (`vm.load`, `vm.store`), so a fault reads as the interpreter's.
 */

import { LinkedProgram } from '../link';
import { HI_BASE, LO_BASE } from '../vm/memory';
import { FUNC_HI, STACK_SIZE } from '../vm/machine';
import { Cfg } from './cfg';
import { narrow, RegState } from './ranges';

const SIZES: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };

/**
 * Finds the region of (base + off) and the byte offset in it, as `r` and `o` (block-scoped
 * consts), in int32 arithmetic: `o` is the low half less LO_BASE, wrapped, so an address below
 * the region or 2 GiB past it is a negative `o`, which the bounds check refuses. Adding the
 * offset may carry into (or borrow from) the high half; then the low half is below LO_BASE or
 * at 2^31 past it, `o` is negative whichever region the high half names, and the slow path
 * names the real address.
 */
function locate(lo: string, hi: string, off: number, size: number): { find: string; ok: string } {
  const find = `const r = slots[${hi} - ${HI_BASE}], o = (${lo} + ${off - LO_BASE}) | 0;`;
  return { find, ok: `r !== undefined && o >= r.lowOff && o <= r.highOff - ${size}` };
}

export function emitMem(cfg: Cfg, st: RegState, pc: number, after: number, fixedFp: boolean): string {
  const op = cfg.ops[pc], d = cfg.dsts[pc], s = cfg.srcs[pc], off = cfg.offs[pc], imm = cfg.imms[pc];
  const size = SIZES[op & 0x18];
  const base = cfg.kinds[pc] === 'load' ? s : d;
  const at = STACK_SIZE + off;
  if (!fixedFp || base !== 10 || at < 0 || at + size > STACK_SIZE) return emitMemChecked(cfg, st, pc, after);
  // In the current frame's stack, at a constant offset: the checks were made on the way in (`fp`).
  let fast: string;
  if (cfg.kinds[pc] === 'load') {
    const ld = `l${d}`, hd = `h${d}`;
    switch (op) {
      case 0x61: fast = `${ld} = fp.view.getInt32(${at}, true); ${hd} = 0;`; break;
      case 0x81: fast = `${ld} = fp.view.getInt32(${at}, true); ${hd} = ${ld} >> 31;`; break;
      case 0x69: fast = `${ld} = fp.view.getUint16(${at}, true); ${hd} = 0;`; break;
      case 0x89: fast = `${ld} = fp.view.getInt16(${at}, true); ${hd} = ${ld} >> 31;`; break;
      case 0x71: fast = `${ld} = fp.bytes[${at}]; ${hd} = 0;`; break;
      case 0x91: fast = `${ld} = (fp.bytes[${at}] << 24) >> 24; ${hd} = ${ld} >> 31;`; break;
      default: fast = `${hd} = fp.view.getInt32(${at + 4}, true); ${ld} = fp.view.getInt32(${at}, true);`; break;
    }
  } else {
    const x = (op & 7) === 0x03;
    const v = x ? `l${s}` : `${imm}`;
    const vh = x ? (narrow(st[s]) ? '0' : `h${s}`) : `${imm >> 31}`;
    switch (size) {
      case 1: fast = `fp.bytes[${at}] = ${v};`; break;
      case 2: fast = `fp.view.setUint16(${at}, ${v} & 0xffff, true);`; break;
      case 4: fast = `fp.view.setInt32(${at}, ${v}, true);`; break;
      default: fast = `fp.view.setInt32(${at}, ${v}, true); fp.view.setInt32(${at + 4}, ${vh}, true);`; break;
    }
  }
  return fast;
}

/** Whether any instruction may write r10 (then r10-relative accesses are checked like the others). */
export function writesR10(cfg: Cfg): boolean {
  for (let pc = 0; pc < cfg.n; pc++) {
    const k = cfg.kinds[pc];
    if ((k === 'alu' || k === 'load' || k === 'lddw') && cfg.dsts[pc] === 10) return true;
    if ((cfg.ops[pc] === 0xc3 || cfg.ops[pc] === 0xdb) && cfg.srcs[pc] === 10) return true;
  }
  return false;
}

function emitMemChecked(cfg: Cfg, st: RegState, pc: number, after: number): string {
  const op = cfg.ops[pc], d = cfg.dsts[pc], s = cfg.srcs[pc], off = cfg.offs[pc], imm = cfg.imms[pc];
  const size = SIZES[op & 0x18];
  const fault = `if (st !== undefined) { left += ${after}; res = st; npc = ${pc + 1}; pp = ${pc}; break out; }`;
  if (cfg.kinds[pc] === 'load') {
    const hs = narrow(st[s]) ? '0' : `h${s}`;
    const { find, ok } = locate(`l${s}`, hs, off, size);
    const ld = `l${d}`, hd = `h${d}`;
    let read: string;
    switch (op) {
      case 0x61: read = `${ld} = r.view.getInt32(o, true); ${hd} = 0;`; break;
      case 0x81: read = `${ld} = r.view.getInt32(o, true); ${hd} = ${ld} >> 31;`; break;
      case 0x69: read = `${ld} = r.view.getUint16(o, true); ${hd} = 0;`; break;
      case 0x89: read = `${ld} = r.view.getInt16(o, true); ${hd} = ${ld} >> 31;`; break;
      case 0x71: read = `${ld} = r.bytes[o]; ${hd} = 0;`; break;
      case 0x91: read = `${ld} = (r.bytes[o] << 24) >> 24; ${hd} = ${ld} >> 31;`; break;
      default: read = `${hd} = r.view.getInt32(o + 4, true); ${ld} = r.view.getInt32(o, true);`; break;
    }
    // Words and double words of a context may be pointer fields (data, data_end...): a load gives the pointer.
    if (size >= 4) read = `const f = r.pointerFields === undefined ? undefined : r.pointerFields.get(o); if (f === undefined) { ${read} } else { const p = f(); ${ld} = p.lo; ${hd} = p.hi; }`;
    return `{ ${find} if (${ok}) { ${read} } else { st = vm.load(${op}, ${d}, l${s}, ${hs}, ${off}, ${pc}); ${fault} ${ld} = L[${d}]; ${hd} = H[${d}]; } }`;
  }
  const hd = narrow(st[d]) ? '0' : `h${d}`;
  const { find, ok } = locate(`l${d}`, hd, off, size);
  const x = (op & 7) === 0x03;
  const v = x ? `l${s}` : `${imm}`;
  const vh = x ? (narrow(st[s]) ? '0' : `h${s}`) : `${imm >> 31}`;
  let write: string;
  switch (size) {
    case 1: write = `r.bytes[o] = ${v};`; break;
    case 2: write = `r.view.setUint16(o, ${v} & 0xffff, true);`; break;
    case 4: write = `r.view.setInt32(o, ${v}, true);`; break;
    default: write = `r.view.setInt32(o, ${v}, true); r.view.setInt32(o + 4, ${vh}, true);`; break;
  }
  return `{ ${find} if (${ok} && r.writable) { ${write} } else { st = vm.store(${op}, l${d}, ${hd}, ${off}, ${v}, ${vh}, ${pc}); ${fault} } }`;
}

export function emitLddw(cfg: Cfg, program: LinkedProgram, pc: number, giveBack: number): string {
  const d = cfg.dsts[pc], s = cfg.srcs[pc], imm = cfg.imms[pc];
  const hiImm = pc + 1 < cfg.n ? cfg.imms[pc + 1] : 0;
  const handover = `{ left += ${giveBack}; res = INTERP; npc = ${pc}; pp = ${pc}; break out; }`;
  const plain = s === 0 ? `l${d} = ${imm}; h${d} = ${hiImm};` : s === 4 ? `l${d} = ${pc + 1 + imm}; h${d} = ${FUNC_HI};` : handover;
  // The run's mapAddress answers for the slots the linker found map references in, and no others.
  if (!program.mapRefs.has(pc)) return plain;
  return `st = MA === undefined ? undefined : MA(${pc}); if (st) { l${d} = st.lo; h${d} = st.hi; } else ${s === 0 || s === 4 ? `{ ${plain} }` : handover}`;
}
