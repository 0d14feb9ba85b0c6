/** `conformance PATH... [--cpu v3|v4]`: run bpf_conformance-format `.data` files. */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { IsaVersion, ISA_VERSIONS } from '../../core/isa/opcodes';
import { runConformanceFile } from '../../core/conformance/runFile';
import { parse } from '../args';
import { InputError } from '../load';

export const CONFORMANCE_HELP = `usage: ebpf-workbench conformance PATH... [--cpu v3|v4] [--verbose]

Run bpf_conformance-format .data files (a PATH may be a folder, searched recursively) as
the raw program type: r1 = the -- mem bytes, helpers 0-5 of the suite. A structural load
check (not the Linux verifier) runs first.
  --cpu v1|v2|v3|v4   the newest ISA version accepted (default v4)
  --verbose           print a line for every file, not only failures and skips
Prints FAIL <path>: expected <x>, got <y> per failure, SKIP <path>: <reason> per skip, and
closes with 'N passed, N failed, N skipped'. Exit status: 0 all passed, 1 a failure, 2 bad usage.`;

function dataFiles(path: string): string[] {
  let st;
  try { st = statSync(path); } catch { throw new InputError(`${path}: no such file or folder`); }
  if (!st.isDirectory()) return [path];
  return readdirSync(path).sort().flatMap((n) => {
    const p = join(path, n);
    return statSync(p).isDirectory() ? dataFiles(p) : n.endsWith('.data') ? [p] : [];
  });
}

export function conformanceCommand(argv: string[]): number {
  const { values, positionals } = parse(argv, { cpu: { type: 'string' }, verbose: { type: 'boolean' } });
  if (values.help) { process.stdout.write(CONFORMANCE_HELP + '\n'); return 0; }
  if (positionals.length === 0) throw new InputError(`conformance takes at least one PATH\n${CONFORMANCE_HELP}`);
  const cpu = (values.cpu as string | undefined) ?? 'v4';
  if (!ISA_VERSIONS.includes(cpu as IsaVersion)) throw new InputError(`--cpu takes ${ISA_VERSIONS.join(', ')}, not ${cpu}`);
  let passed = 0, failed = 0, skipped = 0;
  for (const file of positionals.flatMap(dataFiles)) {
    const v = runConformanceFile(readFileSync(file, 'utf8'), cpu as IsaVersion);
    if (v.status === 'pass') { passed++; if (values.verbose) process.stdout.write(`PASS ${file}\n`); }
    else if (v.status === 'skip') { skipped++; process.stdout.write(`SKIP ${file}: ${v.reason}\n`); }
    else { failed++; process.stdout.write(`FAIL ${file}: expected ${v.expected}, got ${v.got}\n`); }
  }
  process.stdout.write(`${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  return failed ? 1 : 0;
}
