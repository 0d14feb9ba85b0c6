/** Finds the external references the differential tests compare against (llvm-mc-19, bpftool, ...). */

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const PATH_DIRS = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin', '/usr/bin']);

/** The full path of a program on PATH (or in /usr/sbin), or undefined. */
export function findTool(name: string): string | undefined {
  for (const dir of PATH_DIRS) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

/** The reason a differential test must skip, or undefined when every tool is present. */
export function missingTools(...names: string[]): string | undefined {
  const missing = names.filter((n) => !findTool(n));
  return missing.length ? `${missing.join(', ')} not found (install Debian's llvm-19/clang-19/bpftool; .ci/run does)` : undefined;
}

export function run(cmd: string, args: string[], input?: string | Uint8Array): { status: number; stdout: string; stderr: string } {
  const res = spawnSync(cmd, args, { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: res.status ?? -1, stdout: res.stdout ?? '', stderr: (res.stderr ?? '') + (res.error ? String(res.error) : '') };
}

/** Whether this process may call bpf(2) to load programs (root on Linux). */
export function canLoadBpf(): boolean {
  return process.platform === 'linux' && typeof process.getuid === 'function' && process.getuid() === 0;
}
