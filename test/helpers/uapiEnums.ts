/**
 * Reads the kernel's own lists, to check our tables against them: the enums and the helper
 * list of a bpf.h (Debian's /usr/include/linux/bpf.h), and the enums of the running
 * kernel's BTF as `bpftool btf dump ... format c` prints them.
 *
 * Test support only: a small C enum reader, not a C parser. It knows what these headers use:
 * `NAME,` (previous value + 1), `NAME = 12,`, `NAME = (1U << 3),`, `NAME = OTHER_NAME,`, and
 * FN() lists with or without explicit ids (explicit since Linux 6.2).
 */

import { existsSync, readFileSync } from 'node:fs';
import { findTool, run } from '../tools';

export const DEBIAN_BPF_H = '/usr/include/linux/bpf.h';
export const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';

/** The text of Debian's bpf.h, or undefined when linux-libc-dev is not installed. */
export function readDebianHeader(): string | undefined {
  return existsSync(DEBIAN_BPF_H) ? readFileSync(DEBIAN_BPF_H, 'utf8') : undefined;
}

/** The running kernel's types as C (bpftool's vmlinux.h), or the reason it cannot be had. */
export function readKernelBtf(): { text: string } | { skip: string } {
  if (!existsSync(VMLINUX_BTF)) return { skip: `${VMLINUX_BTF} not found (kernel without BTF)` };
  const bpftool = findTool('bpftool');
  if (!bpftool) return { skip: 'bpftool not found (install Debian\'s bpftool; .ci/run does)' };
  const res = run(bpftool, ['btf', 'dump', 'file', VMLINUX_BTF, 'format', 'c']);
  if (res.status !== 0) return { skip: `bpftool btf dump failed: ${res.stderr.trim()}` };
  return { text: res.stdout };
}

/** The running kernel's release ("6.18.44-..."), from /proc. */
export function kernelRelease(): string | undefined {
  const p = '/proc/sys/kernel/osrelease';
  return existsSync(p) ? readFileSync(p, 'utf8').trim() : undefined;
}

/**
 * The members of `enum NAME { ... }` in declaration order, with their values. Throws when
 * the enum is not there or a value cannot be read (the test should then fail, not pass).
 */
export function parseEnum(text: string, enumName: string): Map<string, number> {
  const start = text.search(new RegExp(`enum\\s+${enumName}\\s*\\{`));
  if (start < 0) throw new Error(`enum ${enumName} not found`);
  return parseEnumBody(text, text.indexOf('{', start), enumName);
}

/** The members of the (possibly anonymous) enum that declares `member`, e.g. BPF_F_NO_PREALLOC. */
export function parseEnumWith(text: string, member: string): Map<string, number> {
  const at = text.search(new RegExp(`^\\s*${member}\\b`, 'm'));
  if (at < 0) throw new Error(`enum member ${member} not found`);
  const open = text.lastIndexOf('{', at);
  if (open < 0 || !/enum\s*(\w+\s*)?$/.test(text.slice(Math.max(0, open - 80), open))) {
    throw new Error(`${member} is not inside an enum`);
  }
  return parseEnumBody(text, open, `with ${member}`);
}

/**
 * The helper list of a bpf.h: name (as in FN(), without bpf_) to id. Reads the
 * `___BPF_FUNC_MAPPER` of 6.2+ headers (explicit ids) or the `__BPF_FUNC_MAPPER` of older
 * ones (ids by position, from 0 for `unspec`).
 */
export function parseFuncMapper(text: string): Map<string, number> {
  const explicit = text.search(/#define\s+___BPF_FUNC_MAPPER\(/);
  const start = explicit >= 0 ? explicit : text.search(/#define\s+__BPF_FUNC_MAPPER\(FN\)/);
  if (start < 0) throw new Error('no BPF_FUNC_MAPPER in this header');
  // The macro runs over the following lines while each ends with a backslash.
  const lines: string[] = [];
  for (const line of text.slice(start).split('\n')) {
    lines.push(line);
    if (!/\\\s*$/.test(line)) break;
  }
  const ids = new Map<string, number>();
  const re = /FN\(\s*(\w+)\s*(?:,\s*(\d+))?/g;
  let pos = 0;
  for (const m of stripComments(lines.join('\n')).matchAll(re)) {
    ids.set(m[1], m[2] === undefined ? pos : Number(m[2]));
    pos++;
  }
  if (ids.size === 0) throw new Error('empty BPF_FUNC_MAPPER');
  return ids;
}

/**
 * The members of a kernel enum whose names start with `prefix`, renamed as our tables name
 * them (prefix dropped, lower case), leaving out `unspec`, `__MAX_...` and the given aliases.
 */
export function tableNames(values: Map<string, number>, prefix: string, aliases: readonly string[] = []): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, value] of values) {
    if (!name.startsWith(prefix)) continue;
    const ours = name.slice(prefix.length).toLowerCase();
    if (ours === 'unspec' || ours.startsWith('__') || aliases.includes(ours)) continue;
    out.set(ours, value);
  }
  return out;
}

function parseEnumBody(text: string, open: number, label: string): Map<string, number> {
  const close = text.indexOf('}', open);
  const body = stripComments(text.slice(open + 1, close));
  const values = new Map<string, number>();
  let next = 0;
  for (const raw of body.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const m = /^([A-Za-z_]\w*)\s*(?:=\s*(.+))?$/s.exec(item);
    if (!m) throw new Error(`enum ${label}: cannot read "${item}"`);
    const value = m[2] === undefined ? next : evalConst(m[2].trim(), values);
    values.set(m[1], value);
    next = value + 1;
  }
  return values;
}

function stripComments(s: string): string {
  return s.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ').replace(/\\\n/g, '\n');
}

/** A constant expression of these enums: a number, `(1U << n)`, or an earlier member. */
function evalConst(expr: string, known: Map<string, number>): number {
  const e = expr.replace(/^\((.*)\)$/s, '$1').trim();
  const shift = /^(\d+)U?L*\s*<<\s*(\d+)$/.exec(e);
  if (shift) return Number(shift[1]) * 2 ** Number(shift[2]);
  const num = /^(0x[0-9a-fA-F]+|\d+)U?L*$/.exec(e);
  if (num) return Number(num[1]);
  const prev = known.get(e);
  if (prev !== undefined) return prev;
  throw new Error(`cannot evaluate enum value "${expr}"`);
}
