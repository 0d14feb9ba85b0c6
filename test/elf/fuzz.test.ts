/**
 * Fuzzing the readers: readElf must never throw, and never reach its internal-error
 * fallback (which would mean an exception was caught), on 20,000 random buffers (most
 * given a valid ELF header so that the section and symbol parsing runs) and on thousands
 * of mutated copies of real objects (random byte flips, flips aimed at the headers and
 * tables, truncations), and writeElf must take whatever readElf made of each input. The
 * BTF readers and type queries get the same treatment on mutated BTF. A seeded generator
 * (FUZZ_SEED in the environment overrides the seed) makes every failure reproducible: its
 * message gives the seed and case.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { missingTools } from '../tools';
import { compileC, tempDir } from './objects';
import { handObject } from './sample';
import { readElf } from '../../core/elf/read';
import { writeElf, writeElfChecked } from '../../core/elf/write';
import { parseBtf } from '../../core/btf/parse';
import { parseBtfExt } from '../../core/btf/ext';
import { typeName, typeSize, resolveType } from '../../core/btf/query';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);

/** xorshift32: small, fast and reproducible. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

function checkRead(bytes: Uint8Array, what: string): void {
  let res;
  try {
    res = readElf(bytes);
  } catch (e) {
    assert.fail(`readElf threw on ${what}: ${(e as Error).stack}`);
  }
  const internal = res.diagnostics.find((d) => d.code === 'internal');
  assert.equal(internal, undefined, `internal error on ${what}: ${internal?.message}`);
  assert.ok(Array.isArray(res.object.sections) && Array.isArray(res.object.symbols) && typeof res.object.license === 'string');
  // Whatever the reader made of it, the writer takes it without throwing too.
  try {
    writeElfChecked(res.object);
  } catch (e) {
    assert.fail(`writeElf threw on what readElf read from ${what}: ${(e as Error).stack}`);
  }
}

/** A 64-byte ELF64 LE EM_BPF header with random table fields that point inside `len` bytes most of the time. */
function randomHeader(rand: () => number, len: number): Uint8Array {
  const h = Buffer.alloc(64);
  h.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  h.writeUInt16LE(1, 16);
  h.writeUInt16LE(247, 18);
  h.writeBigUInt64LE(BigInt(Math.floor(rand() * len)), 40);
  h.writeUInt16LE(rand() < 0.9 ? 64 : Math.floor(rand() * 128), 58);
  h.writeUInt16LE(Math.floor(rand() * 12), 60);
  h.writeUInt16LE(Math.floor(rand() * 12), 62);
  return h;
}

test('readElf never throws on 20,000 random buffers', () => {
  const rand = rng(SEED);
  for (let n = 0; n < 20000; n++) {
    const len = Math.floor(rand() * 2048);
    const b = new Uint8Array(len);
    for (let i = 0; i < len; i++) b[i] = Math.floor(rand() * 256);
    if (n % 4 !== 0 && len >= 64) b.set(randomHeader(rand, len));
    checkRead(b, `random buffer #${n} (seed ${SEED})`);
  }
});

/** Mutated copies: byte flips anywhere, flips in the ELF and section headers, truncations. */
function mutants(orig: Uint8Array, count: number, seed: number, check: (b: Uint8Array, what: string) => void): void {
  const rand = rng(seed);
  const view = Buffer.from(orig);
  const shoff = Number(view.readBigUInt64LE(40));
  for (let n = 0; n < count; n++) {
    const b = new Uint8Array(orig);
    const mode = n % 4;
    if (mode === 3) {
      check(b.subarray(0, Math.floor(rand() * b.length)), `truncation #${n} (seed ${seed})`);
      continue;
    }
    const nFlips = 1 + Math.floor(rand() * 8);
    for (let k = 0; k < nFlips; k++) {
      // mode 0: anywhere; 1: the ELF header; 2: the section header table (sizes, offsets, links).
      const at = mode === 0 ? Math.floor(rand() * b.length)
        : mode === 1 ? Math.floor(rand() * 64)
        : shoff + Math.floor(rand() * (b.length - shoff));
      if (at < b.length) b[at] = rand() < 0.5 ? Math.floor(rand() * 256) : b[at] ^ (1 << Math.floor(rand() * 8));
    }
    check(b, `mutant #${n} mode ${mode} (seed ${seed})`);
  }
}

test('readElf never throws on mutated copies of a written object', () => {
  mutants(writeElf(handObject()), 5000, SEED + 1, checkRead);
});

const skipClang = missingTools('clang-19');

test('readElf never throws on mutated copies of a clang-19 object', (t) => {
  if (skipClang) return t.skip(skipClang);
  const tmp = tempDir();
  try {
    const built = compileC('xdp_maps.bpf.c', tmp.dir);
    mutants(built.bytes, 5000, SEED + 2, checkRead);
  } finally {
    tmp.done();
  }
});

test('the BTF readers and queries never throw on mutated BTF', (t) => {
  if (skipClang) return t.skip(skipClang);
  const tmp = tempDir();
  try {
    const { object } = readElf(compileC('xdp_maps.bpf.c', tmp.dir).bytes);
    const btf = object.btf!;
    const ext = object.btfExt!;
    const rand = rng(SEED + 3);
    for (let n = 0; n < 3000; n++) {
      const b = new Uint8Array(btf);
      const e = new Uint8Array(ext);
      for (let k = 0; k < 1 + Math.floor(rand() * 6); k++) {
        b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
        e[Math.floor(rand() * e.length)] = Math.floor(rand() * 256);
      }
      const cut = n % 5 === 0 ? Math.floor(rand() * b.length) : b.length;
      const what = `BTF mutant #${n} (seed ${SEED + 3})`;
      try {
        const parsed = parseBtf(b.subarray(0, cut));
        parseBtfExt(e, parsed.strings);
        for (let id = 0; id < parsed.types.length + 2; id++) {
          typeName(parsed.types, id);
          typeSize(parsed.types, id);
          resolveType(parsed.types, id);
        }
      } catch (err) {
        assert.fail(`threw on ${what}: ${(err as Error).stack}`);
      }
    }
  } finally {
    tmp.done();
  }
});
