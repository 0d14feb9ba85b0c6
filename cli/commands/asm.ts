/** `asm FILE [-o OUT.o|OUT.bin] [--hex] [--section S]`: assemble; alone, only report diagnostics. */

import { writeFileSync } from 'node:fs';
import { encodeSlots, slotHex } from '../../core/isa/insn';
import { codeSections } from '../../core/object';
import { rawSlots } from '../../core/asm/raw';
import { writeElfChecked } from '../../core/elf/write';
import { hasErrors } from '../../core/diag';
import { printDiagnostics } from '../report';
import { parse } from '../args';
import { InputError, loadOrFail } from '../load';
import { isCbpfFile, loadCbpf } from '../cbpf';
import { printTcpdumpDd } from '../../core/cbpf/print';

export const ASM_HELP = `usage: ebpf-workbench asm FILE [-o OUT.o|OUT.bin] [--hex] [--section S]

Assemble FILE (eBPF assembly in LLVM or uBPF syntax; an ELF object or .bin is read too).
Alone it only reports diagnostics.
  -o OUT.o      write an ELF object (BTF-defined .maps; loadable by libbpf/bpftool)
  -o OUT.bin    write raw little-endian slots, 8 bytes each (maps as src=1, imm=index)
  --hex         print each slot as eight hex bytes, '# section NAME' before each section
  --section S   only section S (with --hex or -o OUT.bin)
Exit status: 0 ok, 2 bad input.`;

export function asmCommand(argv: string[]): number {
  const { values, positionals } = parse(argv, {
    output: { type: 'string', short: 'o' },
    hex: { type: 'boolean' },
    section: { type: 'string' },
  });
  if (values.help) { process.stdout.write(ASM_HELP + '\n'); return 0; }
  if (positionals.length !== 1) throw new InputError(`asm takes one FILE\n${ASM_HELP}`);
  const file = positionals[0];
  if (isCbpfFile(file)) {
    // Classic BPF: check it, and with --hex print each sock_filter as tcpdump -dd does.
    const { insns, refused } = loadCbpf(file);
    if (values.hex) process.stdout.write(printTcpdumpDd(insns));
    else process.stdout.write(`${file}: ${refused ? 'refused by the classic checker' : 'ok'}, ${insns.length} classic instructions\n`);
    return refused ? 1 : 0;
  }
  const { object } = loadOrFail(file);
  const wanted = values.section as string | undefined;
  const sections = codeSections(object).filter((s) => !wanted || s.name === wanted);
  if (wanted && sections.length === 0) {
    throw new InputError(`${file}: no code section named ${wanted} (sections: ${codeSections(object).map((s) => s.name).join(', ') || 'none'})`);
  }
  if (values.hex) {
    for (const sec of sections) {
      process.stdout.write(`# section ${sec.name}\n`);
      for (const i of rawSlots(object, sec)) process.stdout.write(slotHex(i) + '\n');
    }
  }
  const out = values.output as string | undefined;
  if (out) {
    if (out.endsWith('.bin')) {
      if (sections.length !== 1) throw new InputError(`${file}: a .bin holds one section; choose one with --section (${sections.map((s) => s.name).join(', ')})`);
      writeFileSync(out, encodeSlots(rawSlots(object, sections[0])));
    } else {
      const { bytes, diagnostics } = writeElfChecked(object);
      printDiagnostics(file, diagnostics);
      if (hasErrors(diagnostics)) throw new InputError(`${file}: cannot write ${out}`);
      writeFileSync(out, bytes);
    }
  }
  if (!values.hex && !out) {
    const n = sections.reduce((k, s) => k + s.insns.length, 0);
    process.stdout.write(`${file}: ok, ${n} slot${n === 1 ? '' : 's'} in ${sections.map((s) => s.name).join(', ') || 'no code section'}\n`);
  }
  return 0;
}
