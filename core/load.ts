/**
 * From a file's name and bytes to an object: the one place that decides how a file is read.
 *
 * ELF is recognised by its magic whatever the name; `.bin` is raw slots; everything else
 * is eBPF assembly text, except classic BPF (`.cbpf`, `.bpf_asm`), which becomes the object
 * of its eBPF translation (core/cbpf/translate.ts), each slot on its classic line.
 */

import { Diagnostic } from './diag';
import { BpfObject } from './object';
import { assemble } from './asm/assemble';
import { objectFromBin } from './asm/raw';
import { readElf } from './elf/read';
import { classicObject } from './cbpf/translate';
import { CoreTarget, relocateObject } from './coreRelocate';

export type FileFormat = 'asm' | 'elf' | 'bin' | 'cbpf';

export interface LoadedFile {
  format: FileFormat;
  object: BpfObject;
  diagnostics: Diagnostic[];
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];

export function fileFormat(fileName: string, bytes: Uint8Array): FileFormat {
  if (ELF_MAGIC.every((b, i) => bytes[i] === b)) return 'elf';
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.o')) return 'elf';
  if (lower.endsWith('.bin')) return 'bin';
  if (lower.endsWith('.cbpf') || lower.endsWith('.bpf_asm')) return 'cbpf';
  return 'asm';
}

export interface LoadOptions {
  /**
   * Apply the object's CO-RE relocations against this target (core/coreRelocate.ts). Absent:
   * the instructions stay as compiled, as a disassembler shows them.
   */
  core?: CoreTarget;
}

export function loadFile(fileName: string, bytes: Uint8Array, opts: LoadOptions = {}): LoadedFile {
  const format = fileFormat(fileName, bytes);
  switch (format) {
    case 'elf': {
      const read = readElf(bytes);
      if (!opts.core) return { format, ...read };
      const relocated = relocateObject(read.object, opts.core);
      return { format, object: relocated.object, diagnostics: [...read.diagnostics, ...relocated.diagnostics] };
    }
    case 'bin': return { format, ...objectFromBin(bytes) };
    case 'cbpf': return { format, ...classicObject(new TextDecoder().decode(bytes)) };
    default: return { format, ...assemble(new TextDecoder().decode(bytes)) };
  }
}
