/**
 * Builds the test objects: C sources of test/data/elf compiled by clang-19 for BPF, and
 * assembly by llvm-mc-19, always into a fresh temporary folder (never the source tree).
 * Also reads what the sources say they define (`expect-map:` and `expect-license:` lines),
 * and parses llvm-readelf-19 output into records to compare with.
 */

import { MapDef } from '../../core/object';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { TEST_DATA } from '../paths';
import { findTool, run } from '../tools';

export const ELF_DATA = join(TEST_DATA, 'elf');

export interface Built {
  /** The object file. */
  path: string;
  /** The source it came from. */
  source: string;
  bytes: Uint8Array;
}

/** A temporary folder for one test, removed by `done`. */
export function tempDir(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ebpf-elf-'));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `clang-19 -g -O2 -target bpf -c` of test/data/elf/NAME into `dir`. */
export function compileC(name: string, dir: string): Built {
  const source = join(ELF_DATA, name);
  const path = join(dir, basename(name).replace(/\.c$/, '.o'));
  const r = run(findTool('clang-19')!, ['-g', '-O2', '-target', 'bpf', `-I/usr/include/${archDir()}-linux-gnu`, '-c', source, '-o', path]);
  assert.equal(r.status, 0, `clang-19 failed on ${name}: ${r.stderr}`);
  return { path, source, bytes: new Uint8Array(readFileSync(path)) };
}

/** `llvm-mc-19 -triple bpf -filetype=obj` of test/data/elf/NAME into `dir`. */
export function assembleS(name: string, dir: string): Built {
  const source = join(ELF_DATA, name);
  const path = join(dir, basename(name).replace(/\.s$/, '.o'));
  const r = run(findTool('llvm-mc-19')!, ['-triple', 'bpf', '-filetype=obj', source, '-o', path]);
  assert.equal(r.status, 0, `llvm-mc-19 failed on ${name}: ${r.stderr}`);
  return { path, source, bytes: new Uint8Array(readFileSync(path)) };
}

function archDir(): string {
  return process.arch === 'arm64' ? 'aarch64' : 'x86_64';
}

/** A map a test source declares: the fields of MapDef that a reader must get right. */
export type ExpectedMap = Pick<MapDef, 'name' | 'type' | 'keySize' | 'valueSize' | 'maxEntries' | 'flags' | 'inner'>;

/** The `expect-map:` lines of a source: `expect-map: NAME TYPE key=N value=N max_entries=N flags=N [inner=NAME]`. */
export function expectedMaps(source: string): ExpectedMap[] {
  return [...readFileSync(source, 'utf8').matchAll(/expect-map: (\S+) (\S+) (.*)$/gm)].map((m) => {
    const kv = Object.fromEntries(m[3].trim().split(/\s+/).map((p) => p.split('=')));
    const map: ExpectedMap = {
      name: m[1], type: m[2], keySize: Number(kv.key), valueSize: Number(kv.value), maxEntries: Number(kv.max_entries), flags: Number(kv.flags),
    };
    if (kv.inner) map.inner = kv.inner;
    return map;
  });
}

export function expectedLicense(source: string): string | undefined {
  return /expect-license: (.*)$/m.exec(readFileSync(source, 'utf8'))?.[1].trim();
}

export interface ReadelfSection {
  index: number;
  name: string;
  type: string;
  flags: string;
  size: number;
}

export interface ReadelfSymbol {
  index: number;
  value: number;
  size: number;
  type: string;
  bind: string;
  /** The section index, or UND / ABS. */
  ndx: string;
  name: string;
}

export interface ReadelfReloc {
  /** The section the relocations apply to (from `.rel<name>`). */
  section: string;
  offset: number;
  type: string;
  symbol: string;
}

export interface Readelf {
  sections: ReadelfSection[];
  symbols: ReadelfSymbol[];
  relocs: ReadelfReloc[];
  stderr: string;
}

/** Runs `llvm-readelf-19 -S -s -r` and parses its three tables. */
export function readelf(path: string): Readelf {
  const r = run(findTool('llvm-readelf-19')!, ['-S', '-s', '-r', path]);
  assert.equal(r.status, 0, `llvm-readelf-19 failed: ${r.stderr}`);
  const out: Readelf = { sections: [], symbols: [], relocs: [], stderr: r.stderr };
  let relTarget: string | undefined;
  for (const line of r.stdout.split('\n')) {
    const sec = /^\s*\[\s*(\d+)\]\s(.*)$/.exec(line);
    if (sec && !line.includes('Nr]')) {
      const index = Number(sec[1]);
      const toks = sec[2].trim().split(/\s+/);
      // Name Type Address Off Size ES [Flg] Lk Inf Al; section 0 has neither name nor flags.
      const named = index === 0 ? ['', ...toks] : toks;
      const flags = named.length === 10 ? named[6] : '';
      out.sections.push({ index, name: named[0], type: named[1], flags, size: parseInt(named[4], 16) });
      continue;
    }
    const rel = /^Relocation section '([^']+)'/.exec(line);
    if (rel) {
      relTarget = rel[1].replace(/^\.rela?/, '');
      continue;
    }
    const relLine = /^([0-9a-f]{16})\s+([0-9a-f]{16})\s+(\S+)\s+([0-9a-f]{16})\s+(\S+)/.exec(line);
    if (relLine && relTarget !== undefined) {
      out.relocs.push({ section: relTarget, offset: parseInt(relLine[1], 16), type: relLine[3], symbol: relLine[5] });
      continue;
    }
    const sym = /^\s*(\d+):\s+([0-9a-f]{16})\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (sym) {
      out.symbols.push({ index: Number(sym[1]), value: parseInt(sym[2], 16), size: Number(sym[3]), type: sym[4], bind: sym[5], ndx: sym[7], name: sym[8] });
    }
  }
  return out;
}

/** `section name -> [slot, hex bytes]` from `llvm-objdump-19 -d`, an lddw's two slots on one line. */
export function objdumpSlots(path: string): Map<string, [number, string][]> {
  const r = run(findTool('llvm-objdump-19')!, ['-d', path]);
  assert.equal(r.status, 0, `llvm-objdump-19 failed: ${r.stderr}`);
  const out = new Map<string, [number, string][]>();
  let cur: [number, string][] = [];
  for (const line of r.stdout.split('\n')) {
    const head = /^Disassembly of section (.*):$/.exec(line);
    if (head) out.set(head[1], (cur = []));
    const insn = /^\s*(\d+):\t((?:[0-9a-f]{2} ?)+)\t/.exec(line);
    if (insn) cur.push([Number(insn[1]), insn[2].trim()]);
  }
  return out;
}
