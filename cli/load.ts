/** Reading a program file for a command: bytes from disk, then core's loader; bad input exits 2. */

import { readFileSync } from 'node:fs';
import { hasErrors } from '../core/diag';
import { LoadedFile, loadFile, LoadOptions } from '../core/load';
import { printDiagnostics } from './report';

export class InputError extends Error {
  constructor(message: string, readonly alreadyReported = false) {
    super(message);
  }
}

/** Loads FILE, prints its diagnostics, and throws InputError (exit 2) when it has errors. */

export function loadOrFail(file: string, opts: LoadOptions = {}): LoadedFile & { text?: string } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new InputError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const loaded = loadFile(file, bytes, opts);
  const text = loaded.format === 'asm' || loaded.format === 'cbpf' ? new TextDecoder().decode(bytes) : undefined;
  printDiagnostics(file, loaded.diagnostics, text);
  if (hasErrors(loaded.diagnostics)) {
    const n = loaded.diagnostics.filter((d) => d.severity === 'error').length;
    throw new InputError(`${file}: ${n} error${n === 1 ? '' : 's'}`, false);
  }
  return { ...loaded, text };
}
