/**
 * CO-RE for a whole object: every code section's instructions relocated against a target
 * BTF before anything links, verifies, runs or loads them, so that our verifier, the VM and
 * the kernel (core/kernel loads the linked program) all see the same patched instructions,
 * as libbpf's bpf_object__relocate_core() leaves them.
 *
 * The target is asked for only when the object has CO-RE relocations (reading and parsing
 * the kernel's BTF takes a few hundred milliseconds). Without one, each relocation becomes
 * an error on its instruction's line rather than a program silently left with the offsets of
 * the machine it was compiled on.
 *
 * Pure: the caller reads files (the kernel's /sys/kernel/btf/vmlinux, or a file the user
 * names) and passes a reader.
 */

import { Diagnostic, error } from './diag';
import { parseBtf, Btf } from './btf/parse';
import { CoreRelo, ExtSection, parseBtfExt } from './btf/ext';
import { applyCoreRelos, CoreReloResult, describeCoreRelo } from './btf/coreRelo';
import { BpfObject, Section } from './object';
import { readElf } from './elf/read';

/** Where libbpf looks for the kernel's BTF, and so do we when the user names no file. */
export const KERNEL_BTF_PATH = '/sys/kernel/btf/vmlinux';

export interface CoreTarget {
  /** The target BTF, or why there is none; called only for objects with CO-RE relocations. */
  btf(): Btf | { unavailable: string };
}

/** A file's bytes, or why it cannot be read (e.g. `ENOENT`). */
export type ReadFile = (path: string) => Uint8Array | { error: string };

/**
 * The target of a session: the BTF file `path` (raw BTF, or an ELF object with a .BTF
 * section, as libbpf's btf__parse() takes), or the kernel's when no path is given. Read once,
 * on first use.
 */
export function coreTarget(read: ReadFile, path?: string): CoreTarget {
  let cached: Btf | { unavailable: string } | undefined;
  return {
    btf() {
      cached ??= targetFromFile(read, path || KERNEL_BTF_PATH, !path);
      return cached;
    },
  };
}

function targetFromFile(read: ReadFile, path: string, isDefault: boolean): Btf | { unavailable: string } {
  const bytes = read(path);
  if ('error' in bytes) {
    return { unavailable: isDefault ? `the kernel's BTF (${path}) cannot be read: ${bytes.error}; name a BTF file instead` : `cannot read ${path}: ${bytes.error}` };
  }
  return targetFromBytes(bytes, path);
}

/** Parsed target BTF from raw BTF or an ELF object holding a .BTF section. */
export function targetFromBytes(bytes: Uint8Array, name: string): Btf | { unavailable: string } {
  let raw = bytes;
  if (bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46) {
    const btf = readElf(bytes).object.btf;
    if (!btf) return { unavailable: `${name} is an ELF file without a .BTF section` };
    raw = btf;
  }
  const btf = parseBtf(raw);
  const bad = btf.diagnostics.find((d) => d.severity === 'error');
  return bad ? { unavailable: `${name} is not valid BTF: ${bad.message}` } : btf;
}

function coreReloSections(obj: BpfObject): { local: Btf; sections: ExtSection<CoreRelo>[] } | undefined {
  if (!obj.btf || !obj.btfExt) return undefined;
  const local = parseBtf(obj.btf);
  const sections = parseBtfExt(obj.btfExt, local.strings).coreRelo.filter((s) => s.records.length > 0);
  return sections.length ? { local, sections } : undefined;
}

/**
 * The object with its CO-RE relocations applied (a copy; the input is left as it was), and
 * one error per relocation that failed or could not be applied for want of a target BTF.
 * An object without relocations comes back as it is.
 */
export function relocateObject(obj: BpfObject, target: CoreTarget): { object: BpfObject; diagnostics: Diagnostic[] } {
  const found = coreReloSections(obj);
  if (!found) return { object: obj, diagnostics: [] };
  const diagnostics: Diagnostic[] = [];
  const btf = target.btf();
  const sections: Section[] = obj.sections.map((s) => (s.kind === 'code' ? { ...s, insns: s.insns.map((i) => ({ ...i })) } : s));
  for (const { section, records } of found.sections) {
    const sec = sections.find((s) => s.name === section && s.kind === 'code');
    if (!sec) {
      diagnostics.push(error('core-relo', `.BTF.ext has CO-RE relocations for section ${section}, which holds no code`));
      continue;
    }
    if ('unavailable' in btf) {
      records.forEach((relo, k) => {
        diagnostics.push(reloDiagnostic(sec, k, describeCoreRelo(found.local, relo), `needs a target BTF, and there is none: ${btf.unavailable}`,
          'Name a BTF file (the target kernel\'s /sys/kernel/btf/vmlinux, copied, or an ELF object with a .BTF section): `--btf FILE` on the command line, the setting `ebpf.btfPath` in the editor, `btf` in a launch configuration.'));
      });
      continue;
    }
    applyCoreRelos(found.local, btf, records, sec.insns).forEach((res, k) => {
      if (res.error) diagnostics.push(reloDiagnostic(sec, k, res, `failed: ${res.error}`, 'libbpf would refuse to load this program.'));
    });
  }
  return { object: { ...obj, sections }, diagnostics };
}

function reloDiagnostic(sec: Section, k: number, res: CoreReloResult, what: string, fix: string): Diagnostic {
  const d = error('core-relo', `CO-RE relocation #${k} ${res.description} at insn ${res.insnIdx} of ${sec.name} ${what}`, sec.lines[res.insnIdx]);
  return { ...d, section: sec.name, fix };
}
