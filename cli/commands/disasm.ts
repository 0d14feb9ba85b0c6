/** `disasm FILE [--syntax llvm|ubpf] [--section S] [--no-show-raw-insn]`: the llvm-objdump -d -r listing. */

import { basename } from 'node:path';
import { codeSections } from '../../core/object';
import { disassemble } from '../../core/asm/listing';
import { parse } from '../args';
import { InputError, loadOrFail } from '../load';
import { diskCoreTarget } from '../../server/btfFile';
import { isCbpfFile, loadCbpf, loadCbpfAsEbpf } from '../cbpf';
import { printBpfAsm, printTcpdump, printTranslation } from '../../core/cbpf/print';

export const DISASM_HELP = `usage: ebpf-workbench disasm FILE [--syntax llvm|ubpf] [--section S] [--no-show-raw-insn] [--btf FILE]

Disassemble FILE (ELF object, .bin or assembly) as llvm-objdump -d -r prints it.
  --syntax llvm|ubpf    the dialect (default llvm, as llvm-objdump-19 --mcpu=v4 prints);
                        for classic BPF: bpf_asm (default), tcpdump (as tcpdump -d prints),
                        or llvm/ubpf for its eBPF translation under each classic line
  --section S           only section S
  --no-show-raw-insn    leave out the instruction bytes
  --btf FILE            show the instructions with their CO-RE relocations applied against this BTF
                        (e.g. /sys/kernel/btf/vmlinux); without it, as compiled
Exit status: 0 ok, 2 bad input.`;

export function disasmCommand(argv: string[]): number {
  const { values, positionals } = parse(argv, {
    syntax: { type: 'string' },
    section: { type: 'string' },
    'no-show-raw-insn': { type: 'boolean' },
    btf: { type: 'string' },
  });
  if (values.help) { process.stdout.write(DISASM_HELP + '\n'); return 0; }
  if (positionals.length !== 1) throw new InputError(`disasm takes one FILE\n${DISASM_HELP}`);
  const file = positionals[0];
  if (isCbpfFile(file)) {
    // Classic BPF prints in bpf_asm syntax, as tcpdump -d prints it, or as its eBPF translation.
    const syntax = (values.syntax as string | undefined) ?? 'bpf_asm';
    if (syntax === 'llvm' || syntax === 'ubpf') {
      const { classic, translation } = loadCbpfAsEbpf(file);
      process.stdout.write(printTranslation(classic.insns, translation, syntax));
      return 0;
    }
    if (syntax !== 'bpf_asm' && syntax !== 'tcpdump') throw new InputError(`--syntax takes bpf_asm, tcpdump, llvm or ubpf for classic BPF, not ${syntax}`);
    const { insns } = loadCbpf(file);
    process.stdout.write(syntax === 'tcpdump' ? printTcpdump(insns) : printBpfAsm(insns));
    return 0;
  }
  const syntax = (values.syntax as string | undefined) ?? 'llvm';
  if (syntax !== 'llvm' && syntax !== 'ubpf') throw new InputError(`--syntax takes llvm or ubpf, not ${syntax}`);
  const { object } = loadOrFail(file, values.btf ? { core: diskCoreTarget(values.btf as string) } : {});
  const section = values.section as string | undefined;
  if (section && !codeSections(object).some((s) => s.name === section)) {
    throw new InputError(`${file}: no code section named ${section} (sections: ${codeSections(object).map((s) => s.name).join(', ')})`);
  }
  process.stdout.write(`\n${basename(file)}:\tfile format elf64-bpf\n`);
  process.stdout.write(disassemble(object, { dialect: syntax, section, showRaw: !values['no-show-raw-insn'] }));
  return 0;
}
