/**
 * Fuzz: random bytes and token soup into the assembler, and random slots into the
 * disassembler. Nothing may throw; every failure must be a diagnostic with a position.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assemble } from '../../core/asm/assemble';
import { printInsn } from '../../core/asm/print';
import { disassemble } from '../../core/asm/listing';
import { objectFromBin } from '../../core/asm/raw';
import { decodeSlots } from '../../core/isa/insn';
import { OPCODES } from '../../core/isa/opcodes';
import { randInt, rng } from '../gen';

const WORDS = ['r0', 'r1', 'w2', '%r3', 'r10', 'r11', '=', '+=', '-', '+', '*', '(', ')', '[', ']', ',', ':', ';', 'u8', 'u64',
  's32', 'goto', 'gotol', 'if', 'call', 'exit', 'lock', 'll', 'skb', '0x10', '-1', '4294967296', '99999999999999999999999',
  'L1', 'L1:', '.map', '.section', '.text', '.quad', '"GPL"', 'map_fd', 'map_value', 'type=hash', 'key=4', '#', '//', '/*', '*/',
  'ldxw', 'stxdw', 'lddw', 'mov32', 'jeq', 'bswap16', 'be64', 'atomic_fetch_add', 'cmpxchg_64', 'xchg32_32', '\t', '\n', '{dst}'];

test('random bytes never make the assembler throw', () => {
  const r = rng(10);
  for (let n = 0; n < 5000; n++) {
    const len = randInt(r, 0, 200);
    const text = String.fromCharCode(...Array.from({ length: len }, () => randInt(r, 0, 127)));
    const res = assemble(text);
    for (const d of res.diagnostics) assert.ok(d.span || d.code === 'internal', `diagnostic without a position: ${d.message}`);
    assert.ok(!res.diagnostics.some((d) => d.code === 'internal'), `internal error on ${JSON.stringify(text)}`);
  }
});

test('token soup never makes the assembler throw, and errors carry positions', () => {
  const r = rng(11);
  // Real mnemonics and template words, shuffled: near misses exercise the matcher hardest.
  const words = [...WORDS, ...OPCODES.flatMap((row) => row.llvm.split(/\s+/).concat(row.ubpf.split(/\s+/)))];
  for (let n = 0; n < 20000; n++) {
    const len = randInt(r, 1, 12);
    const text = Array.from({ length: len }, () => words[randInt(r, 0, words.length - 1)]).join(r() < 0.5 ? ' ' : '');
    const res = assemble(text);
    assert.ok(!res.diagnostics.some((d) => d.code === 'internal'), `internal error on ${JSON.stringify(text)}: ${res.diagnostics.map((d) => d.message)}`);
    for (const d of res.diagnostics) assert.ok(d.span, `no position for '${d.message}' on ${JSON.stringify(text)}`);
  }
});

test('random slots always print, and printed text never throws when assembled', () => {
  const r = rng(12);
  for (let n = 0; n < 20000; n++) {
    const bytes = Uint8Array.from({ length: 8 * randInt(r, 1, 4) }, () => randInt(r, 0, 255));
    const insns = decodeSlots(bytes);
    for (let pc = 0; pc < insns.length; pc++) {
      const text = printInsn(insns, pc, { dialect: n % 2 ? 'llvm' : 'ubpf' });
      assert.equal(typeof text, 'string');
      assert.ok(!assemble(text).diagnostics.some((d) => d.code === 'internal'));
    }
    assert.doesNotThrow(() => disassemble(objectFromBin(bytes).object));
  }
});
