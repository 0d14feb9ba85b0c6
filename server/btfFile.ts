/**
 * The CO-RE target as the adapters read it from disk: the BTF file a user names (`--btf`,
 * `ebpf.btfPath`, the launch's `btf`), or the running kernel's /sys/kernel/btf/vmlinux.
 * core/coreRelocate.ts reads no files; the language server, the debug adapter and the CLI
 * all hand it this reader.
 */

import { readFileSync } from 'node:fs';
import { coreTarget, CoreTarget } from '../core/coreRelocate';

export function diskCoreTarget(btfPath?: string): CoreTarget {
  return coreTarget((path) => {
    try { return new Uint8Array(readFileSync(path)); } catch (e) { return { error: (e as NodeJS.ErrnoException).code ?? (e as Error).message }; }
  }, btfPath);
}
