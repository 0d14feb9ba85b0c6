/**
 * Relocations of a code section, from ELF entries to `Reloc`s with a BPF meaning.
 *
 * It mirrors libbpf's bpf_program__record_reloc() (src/libbpf.c):
 *   - R_BPF_64_64 on an lddw against a symbol in `maps`/`.maps` is a map reference
 *     ('map'); against a symbol in another data section (.data, .rodata, .bss, ...) an
 *     address in that section's map value ('map_value'); against a symbol in a code section
 *     a function address for callbacks ('func').
 *   - R_BPF_64_32 on a `call` (src=1, BPF_PSEUDO_CALL) is a bpf-to-bpf call into another
 *     section, or a kfunc call when the symbol is undefined ('call').
 *
 * `symbol` is the name of the ELF symbol the entry names, as llvm-objdump -r prints it (a
 * section symbol is named after its section). The addend says where, relative to it:
 *   - map_value: the byte offset in the *section* (libbpf's sym->st_value + insn->imm,
 *     which it stores in the lddw's imm), so that for `gdata` at .data+8 read through its
 *     own symbol the addend is 8;
 *   - func: the instruction's imm (clang: 0 against a global function's symbol; the
 *     function's byte offset against the section symbol of a static one);
 *   - call: the target's byte offset from the symbol, (imm + 1) * 8, since libbpf takes
 *     the target slot as st_value / 8 + imm + 1; 0 for clang's `call -1` against a function;
 *   - map: 0 against the map's own symbol, st_value against a section symbol (libbpf finds
 *     the map by st_value and ignores imm).
 * The instruction keeps its bytes as they are in the file.
 *
 * Entries that libbpf would refuse (an offset outside the section or inside an
 * instruction, a relocation on an instruction that is neither lddw nor call, a symbol in
 * an unusable section) are reported as 'elf' errors and left out. lddw of an extern (a
 * __ksym or __kconfig variable) is reported and left out too: no RelocKind expresses it yet.
 */

import { Diagnostic, error } from '../diag';
import { Insn, LDDW_CODE } from '../isa/insn';
import { Reloc } from '../object';
import { ElfRel, ElfSymbol, R_BPF_64_32, R_BPF_64_64, STT_SECTION, SHN_UNDEF } from './format';

/** The BPF_JMP | BPF_CALL opcode; src=1 (BPF_PSEUDO_CALL) for a bpf-to-bpf call. */
const CALL_CODE = 0x85;
const BPF_PSEUDO_CALL = 1;
const BPF_PSEUDO_KFUNC_CALL = 2;

/** What read.ts knows of each section index. */
export interface SectionRole {
  name: string;
  role: 'code' | 'maps' | 'data' | 'other';
}

export function classifyRelocs(
  secName: string, insns: readonly Insn[], entries: readonly ElfRel[], symbols: readonly ElfSymbol[],
  sectionOf: (shndx: number) => SectionRole | undefined, diags: Diagnostic[],
): Reloc[] {
  const out: Reloc[] = [];
  const fail = (m: string) => diags.push({ ...error('elf', m), section: secName });
  for (const e of entries) {
    const where = `relocation at offset ${e.offset} in ${secName}`;
    if (e.offset % 8 !== 0 || e.offset / 8 >= insns.length) {
      fail(`${where} does not point at an instruction (the section has ${insns.length} slots)`);
      continue;
    }
    const insnIdx = e.offset / 8;
    const insn = insns[insnIdx];
    const sym = symbols[e.sym];
    if (!sym || e.sym === 0) {
      fail(`${where} names symbol ${e.sym}, which does not exist`);
      continue;
    }
    const target = sym.shndx === SHN_UNDEF ? undefined : sectionOf(sym.shndx);
    const symName = sym.type === STT_SECTION ? target?.name ?? '' : sym.name;
    const at = { ...error('elf', ''), insnIdx, section: secName };
    const report = (m: string, severity: 'error' | 'warning' = 'error') => diags.push({ ...at, severity, message: `${where}: ${m}` });

    if (e.type === R_BPF_64_32) {
      if (insn.code !== CALL_CODE) {
        report(`R_BPF_64_32 against '${symName}' is on opcode 0x${insn.code.toString(16)}, not a call`);
        continue;
      }
      if (sym.shndx === SHN_UNDEF) {
        // A call to an extern: a kfunc, which libbpf resolves against kernel BTF.
        out.push({ insnIdx, kind: 'call', symbol: symName, addend: 0, elfType: e.type });
        continue;
      }
      if (insn.src !== BPF_PSEUDO_CALL && insn.src !== BPF_PSEUDO_KFUNC_CALL) {
        report(`call against '${symName}' has src ${insn.src}, not BPF_PSEUDO_CALL (libbpf: incorrect bpf_call opcode)`);
        continue;
      }
      if (target?.role !== 'code') {
        report(`call against '${symName}' in section '${target?.name ?? sym.shndx}', which holds no code`);
        continue;
      }
      if (target.name !== '.text') {
        // libbpf only links calls into .text (bad call relo against ... in section ...).
        report(`call against '${symName}' in section '${target.name}'; libbpf only resolves calls into .text`, 'warning');
      }
      out.push({ insnIdx, kind: 'call', symbol: symName, addend: (insn.imm + 1 + e.addend / 8) * 8, elfType: e.type });
      continue;
    }

    if (e.type !== R_BPF_64_64) {
      report(`relocation type ${e.type} against '${symName}' is not one libbpf applies to code (R_BPF_64_64 or R_BPF_64_32)`);
      continue;
    }
    if (insn.code !== LDDW_CODE) {
      report(`R_BPF_64_64 against '${symName}' is on opcode 0x${insn.code.toString(16)}, not an lddw`);
      continue;
    }
    if (insnIdx + 1 >= insns.length) {
      report(`R_BPF_64_64 against '${symName}' is on an lddw without its second slot`);
      continue;
    }
    if (sym.shndx === SHN_UNDEF) {
      report(`lddw of extern '${symName}' (a __ksym or __kconfig variable) is not supported yet`, 'warning');
      continue;
    }
    const imm = insn.imm + e.addend;
    switch (target?.role) {
      case 'maps':
        out.push({ insnIdx, kind: 'map', symbol: symName, addend: sym.type === STT_SECTION ? sym.value : 0, elfType: e.type });
        break;
      case 'data':
        out.push({ insnIdx, kind: 'map_value', symbol: symName, addend: sym.value + imm, elfType: e.type });
        break;
      case 'code':
        out.push({ insnIdx, kind: 'func', symbol: symName, addend: imm, elfType: e.type });
        break;
      default:
        report(`lddw against '${symName}' in section '${target?.name ?? sym.shndx}', which is neither a map, data nor code section`);
    }
  }
  return out;
}
