/**
 * Fuzzing core/dwarf and core/debug/locals.ts: the DWARF reader must never throw, nor reach
 * its internal-error fallback, on random sections (behind a plausible DWARF 5 unit header,
 * so that abbreviations, forms and lists get parsed) and on thousands of mutated copies of
 * the .debug_* sections of real objects (byte flips, flips aimed at the start of a section,
 * truncations); and the locals at every slot must read, with any register and memory
 * values, into a value or a reason. A seeded generator (FUZZ_SEED overrides the seed) makes
 * each failure reproducible: its message names the seed and case.
 */

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildC, exampleText, noClang } from '../c/build';
import { readElf } from '../../core/elf/read';
import { dwarfSections, readDwarf } from '../../core/dwarf';
import { FrameAccess, localsAt, localsIndex, readLocal } from '../../core/debug/locals';
import { BpfObject } from '../../core/object';

const SEED = Number(process.env.FUZZ_SEED ?? 0xd3a5f);

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x / 0x100000000;
  };
}

let dir: string;
before(() => { if (!noClang) dir = mkdtempSync(join(tmpdir(), 'dwarf-fuzz-')); });
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

/** A frame whose registers and memory are whatever the generator says (or missing). */
function randomFrame(rand: () => number): FrameAccess {
  return {
    reg: (n) => (rand() < 0.2 ? undefined : BigInt(Math.floor(rand() * 2 ** 32)) * BigInt(n + 1)),
    read: (_addr, size) => (rand() < 0.3 || size > 1 << 16 ? undefined : Uint8Array.from({ length: size }, () => Math.floor(rand() * 256))),
    describePointer: (v) => (rand() < 0.5 ? undefined : `pkt+${v % 64n}`),
  };
}

/** Reads everything the debugger would from an object: every function's locals at every slot. */
function checkObject(obj: BpfObject, rand: () => number, what: string): void {
  try {
    const index = localsIndex(obj);
    if (!index) return;
    const internal = index.dwarf.diagnostics.find((d) => d.code === 'internal');
    assert.equal(internal, undefined, `internal error on ${what}: ${internal?.message}`);
    for (const sec of obj.sections.filter((s) => s.kind === 'code')) {
      for (let slot = 0; slot < sec.insns.length; slot += 1 + Math.floor(rand() * 4)) {
        for (const v of localsAt(index, sec.name, slot)) {
          const value = readLocal(index, v, randomFrame(rand));
          assert.equal(typeof value.value, 'string', what);
        }
      }
    }
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    assert.fail(`threw on ${what}: ${(e as Error).stack}`);
  }
}

test('random sections behind a DWARF 5 unit header: no throw, no internal error', () => {
  const rand = rng(SEED);
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => (rand() < 0.3 ? Math.floor(rand() * 4) : Math.floor(rand() * 256)));
  for (let k = 0; k < 3000; k++) {
    const body = bytes(Math.floor(rand() * 200));
    const info = new Uint8Array(12 + body.length);
    const view = new DataView(info.buffer);
    view.setUint32(0, rand() < 0.9 ? 8 + body.length : Math.floor(rand() * 0xffffffff), true);
    view.setUint16(4, rand() < 0.9 ? 5 : Math.floor(rand() * 8), true);
    info[6] = rand() < 0.9 ? 1 : Math.floor(rand() * 256);
    info[7] = rand() < 0.9 ? 8 : Math.floor(rand() * 256);
    info.set(body, 12);
    const sections = {
      info, abbrev: bytes(Math.floor(rand() * 80)), str: bytes(64), strOffsets: bytes(64), addr: bytes(64),
      loclists: bytes(Math.floor(rand() * 120)), rnglists: bytes(Math.floor(rand() * 60)), lineStr: bytes(16),
    };
    const code = { name: 'xdp', kind: 'code' as const, insns: Array.from({ length: 16 }, () => ({ code: Math.floor(rand() * 256), dst: 10, src: 10, off: -Math.floor(rand() * 512), imm: 0 })), data: new Uint8Array(0), relocs: [], lines: [] };
    const obj: BpfObject = {
      sections: [code], symbols: [], maps: [], license: 'GPL',
      debug: { '.debug_info': sections.info, '.debug_abbrev': sections.abbrev, '.debug_str': sections.str, '.debug_str_offsets': sections.strOffsets, '.debug_addr': sections.addr, '.debug_loclists': sections.loclists, '.debug_rnglists': sections.rnglists },
    };
    let res;
    try { res = readDwarf(sections); } catch (e) { assert.fail(`readDwarf threw on seed ${SEED} case ${k}: ${(e as Error).stack}`); }
    assert.equal(res.diagnostics.find((d) => d.code === 'internal'), undefined, `seed ${SEED} case ${k}`);
    checkObject(obj, rand, `seed ${SEED} random case ${k}`);
  }
});

test('mutated .debug_* sections of the C examples: no throw, no internal error, locals still read', { skip: noClang }, () => {
  const rand = rng(SEED ^ 0x5a5a);
  for (const name of ['xdp_firewall.bpf.c', 'tc_rewrite.bpf.c', 'xdp_counter.bpf.c']) {
    const { obj } = buildC(dir, name, exampleText(name));
    const base = readElf(new Uint8Array(readFileSync(obj))).object;
    const names = Object.keys(base.debug ?? {});
    assert.ok(names.includes('.debug_info') && names.includes('.debug_loclists'), `${name}: ${names.join(', ')}`);
    // The unmutated object reads cleanly, with locals somewhere.
    const clean = localsIndex(base)!;
    assert.deepEqual(clean.dwarf.diagnostics, []);
    assert.ok(clean.functions.length >= 1);
    for (let k = 0; k < 700; k++) {
      const debug = { ...base.debug! };
      const target = names[Math.floor(rand() * names.length)];
      const b = debug[target].slice();
      const kind = rand();
      if (kind < 0.15) debug[target] = b.subarray(0, Math.floor(rand() * b.length));
      else {
        const n = 1 + Math.floor(rand() * 6);
        // Half the flips land in the first 48 bytes: headers, the first abbreviations and DIEs.
        for (let j = 0; j < n && b.length; j++) b[Math.floor(rand() * (rand() < 0.5 ? Math.min(48, b.length) : b.length))] = Math.floor(rand() * 256);
        debug[target] = b;
      }
      checkObject({ ...base, debug }, rand, `${name} seed ${SEED} case ${k} (${target})`);
    }
  }
});
