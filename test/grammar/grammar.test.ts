/**
 * The TextMate grammars (syntaxes/ebpf.tmLanguage.json, syntaxes/cbpf.tmLanguage.json), loaded
 * with vscode-textmate and Oniguruma as VS Code loads them:
 *   - scopes on real lines of the examples, and on the spellings the README lists;
 *   - walks of the tables: every opcode row printed in both dialects, every helper name after
 *     `call`, every classic opcode in bpf_asm and tcpdump spelling;
 *   - agreement with our own lexers (registers, numbers and comments where they see them) on
 *     every assembly file we have;
 *   - robustness: every file tokenizes, every line fully, within the time limit.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { IGrammar } from 'vscode-textmate';
import { REPO_ROOT, SHARED, TEST_DATA } from '../paths';
import { TokenizedLine, hasScope, loadGrammar, scopesAt, tokenizeLine, tokenizeText } from './textmate';
import { OPCODES, OpcodeSpec } from '../../core/isa/opcodes';
import { Insn } from '../../core/isa/insn';
import { printInsn } from '../../core/asm/print';
import { lex } from '../../core/asm/lexer';
import { assemble } from '../../core/asm/assemble';
import { disassemble } from '../../core/asm/listing';
import { HELPERS } from '../../core/helpers/table';
import { CBPF_OPCODES, CInsn, lookupCbpfRow } from '../../core/cbpf/opcodes';
import { parseCbpf, tokenize as cbpfTokenize } from '../../core/cbpf/parse';
import { asmInsn, printTcpdump, printTcpdumpDd, printTcpdumpDdd, tcpdumpInsn } from '../../core/cbpf/print';
import { parseDataFile, sectionText } from '../../core/conformance/dataFile';

const EXAMPLES = join(REPO_ROOT, 'examples');

/** Asserts that `text` in `line` carries `scope` (or a more specific one), showing all scopes when not. */
function expectScope(g: IGrammar, line: string, text: string, scope: string): void {
  const scopes = scopesAt(g, line, text);
  assert.ok(hasScope(scopes, scope), `'${text}' in '${line.trim()}': expected ${scope}, got ${scopes.join(' ')}`);
}

function expectNoScope(g: IGrammar, line: string, text: string, scope: string): void {
  const scopes = scopesAt(g, line, text);
  assert.ok(!hasScope(scopes, scope), `'${text}' in '${line.trim()}': did not expect ${scope}, got ${scopes.join(' ')}`);
}

/** The line of an example file that contains `text` (so that the assertions follow the files). */
function lineOf(file: string, text: string): string {
  const line = readFileSync(join(EXAMPLES, file), 'utf8').split('\n').find((l) => l.includes(text));
  assert.ok(line !== undefined, `${file} has no line with '${text}'`);
  return line;
}

/** Non-blank characters that get no scope beyond the grammar's own, as `line: text`. */
function unscoped(lines: readonly TokenizedLine[]): string[] {
  return lines.flatMap((l) => l.tokens.filter((t) => t.scopes.length === 1 && t.text.trim()).map((t) => `${l.text.trim()}: '${t.text}'`));
}

function filesIn(dir: string, pick: (name: string) => boolean): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesIn(p, pick) : pick(n) ? [p] : [];
  });
}

/** Every eBPF assembly text we have: the examples, the LLVM corpus and rejects, and the asm of the verifier and conformance data files. */
function ebpfCorpus(): { name: string; text: string }[] {
  const out: { name: string; text: string }[] = [];
  for (const f of filesIn(EXAMPLES, (n) => n.endsWith('.bpf.s'))) out.push({ name: relative(REPO_ROOT, f), text: readFileSync(f, 'utf8') });
  for (const f of ['corpus.s', 'rejects.s']) out.push({ name: `llvm/${f}`, text: readFileSync(join(TEST_DATA, 'llvm', f), 'utf8') });
  for (const dir of [join(TEST_DATA, 'verifier'), join(SHARED, 'conformance')]) {
    for (const f of filesIn(dir, (n) => n.endsWith('.data'))) {
      const asm = sectionText(parseDataFile(readFileSync(f, 'utf8')), 'asm');
      if (asm !== undefined) out.push({ name: relative(dir, f), text: asm });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// eBPF: real lines.

test('ebpf: xdp_drop_udp.bpf.s (LLVM syntax)', async () => {
  const g = await loadGrammar('source.ebpf');
  const f = 'xdp_drop_udp.bpf.s';
  const load = lineOf(f, 'r2 = *(u32 *)(r1 + 0)');
  expectScope(g, load, 'r2', 'variable.language.register');
  expectScope(g, load, 'r1', 'variable.language.register');
  expectScope(g, load, '*(u32 *)', 'meta.cast');
  expectScope(g, load, 'u32', 'storage.type');
  expectScope(g, load, '=', 'keyword.operator.assignment');
  expectScope(g, load, '0', 'constant.numeric');
  expectScope(g, load, '# ctx->data: the first byte', 'comment.line.number-sign');
  expectScope(g, lineOf(f, 'count:'), 'count', 'entity.name.function.label');
  const jump = lineOf(f, 'if r4 > r3 goto count');
  expectScope(g, jump, 'if', 'keyword.control');
  expectScope(g, jump, '>', 'keyword.operator.comparison');
  expectScope(g, jump, 'goto', 'keyword.control.jump');
  expectScope(g, jump, 'count', 'entity.name.label');
  expectScope(g, lineOf(f, 'if r5 != 0x8'), '0x8', 'constant.numeric.integer.hexadecimal');
  expectScope(g, lineOf(f, 'r2 += -4'), '-4', 'constant.numeric.integer.decimal');
  expectScope(g, lineOf(f, 'r2 += -4'), '+=', 'keyword.operator.assignment.compound');
  const call = lineOf(f, 'call bpf_map_lookup_elem');
  expectScope(g, call, 'call', 'keyword.control');
  expectScope(g, call, 'bpf_map_lookup_elem', 'support.function');
  const lddw = lineOf(f, 'r1 = counters ll');
  expectScope(g, lddw, 'll', 'keyword.other');
  assert.deepEqual(scopesAt(g, lddw, 'counters'), ['source.ebpf'], 'a map name is a plain identifier');
  const lock = lineOf(f, 'lock *(u64 *)(r0 + 0) += r1');
  expectScope(g, lock, 'lock', 'keyword.other.atomic');
  expectScope(g, lock, 'u64', 'storage.type');
  expectScope(g, lineOf(f, '*(u32 *)(r10 - 4) = w7'), 'w7', 'variable.language.register');
  expectScope(g, lineOf(f, 'exit'), 'exit', 'keyword.control');

  const map = lineOf(f, '.map counters');
  expectScope(g, map, '.map', 'keyword.control.directive');
  expectScope(g, map, 'counters', 'entity.name.variable.map');
  expectScope(g, map, 'type', 'variable.parameter');
  expectScope(g, map, 'array', 'support.type.map-type');
  expectScope(g, map, 'max_entries', 'variable.parameter');
  expectScope(g, map, '8', 'constant.numeric');
  expectScope(g, lineOf(f, '.license'), '.license', 'keyword.control.directive');
  expectScope(g, lineOf(f, '.license'), '"GPL"', 'string.quoted.double');
  expectScope(g, lineOf(f, '.section xdp'), 'xdp', 'entity.name.section');
  expectScope(g, lineOf(f, '.globl'), '.globl', 'keyword.control.directive');
  expectScope(g, lineOf(f, '.globl'), 'xdp_drop_udp', 'entity.name.function');
});

test('ebpf: socket_ubpf.bpf.s (uBPF syntax)', async () => {
  const g = await loadGrammar('source.ebpf');
  const f = 'socket_ubpf.bpf.s';
  const ldx = lineOf(f, 'ldxw r2, [r6+16]');
  expectScope(g, ldx, 'ldxw', 'keyword.other.mnemonic');
  expectScope(g, ldx, '[r6+16]', 'meta.memory-operand');
  expectScope(g, ldx, 'r6', 'variable.language.register');
  expectScope(g, ldx, '16', 'constant.numeric');
  expectScope(g, ldx, '# skb->protocol', 'comment.line.number-sign');
  const stx = lineOf(f, 'stxw [r10-4], r2');
  expectScope(g, stx, 'stxw', 'keyword.other.mnemonic');
  expectScope(g, stx, '-', 'keyword.operator.arithmetic');
  expectScope(g, stx, '4', 'constant.numeric');
  expectScope(g, lineOf(f, 'mov r6, r1'), 'mov', 'keyword.other.mnemonic');
  expectScope(g, lineOf(f, 'add r2, -4'), '-4', 'constant.numeric');
  const jeq = lineOf(f, 'jeq r0, 0, +3');
  expectScope(g, jeq, 'jeq', 'keyword.control.jump');
  expectScope(g, jeq, '+3', 'constant.numeric');
  expectScope(g, lineOf(f, 'ja verdict'), 'ja', 'keyword.control.jump');
  expectScope(g, lineOf(f, 'ja verdict'), 'verdict', 'entity.name.label');
  expectScope(g, lineOf(f, 'verdict:'), 'verdict', 'entity.name.function.label');
  const lock = lineOf(f, 'lock add [r0+0], r1');
  expectScope(g, lock, 'lock', 'keyword.other.atomic');
  expectScope(g, lock, 'add', 'keyword.other.mnemonic');
  const lddw = lineOf(f, 'lddw r1, map_fd(packets_by_proto)');
  expectScope(g, lddw, 'lddw', 'keyword.other.mnemonic');
  expectScope(g, lddw, 'map_fd', 'support.function.pseudo');
  expectScope(g, lineOf(f, 'call 1'), '1', 'constant.numeric');
  expectScope(g, lineOf(f, 'stdw [r10-16], 1'), 'stdw', 'keyword.other.mnemonic');
});

test('ebpf: the spellings the README lists', async () => {
  const g = await loadGrammar('source.ebpf');
  expectScope(g, 'mov %r1, 1', '%r1', 'variable.language.register');
  expectScope(g, 'w15 = 1', 'w15', 'variable.language.register');
  expectNoScope(g, 'r16 = 1', 'r16', 'variable.language.register');
  expectScope(g, 'r1 = (s8)r2', 's8', 'storage.type');
  expectScope(g, 'r0 = *(u8 *)skb[14]', 'skb', 'variable.language.skb');
  expectScope(g, 'r0 = *(u8 *)skb[14]', '14', 'constant.numeric');
  expectScope(g, 'r0 = *(u16 *)skb[r1 + 4]', 'r1', 'variable.language.register');
  expectScope(g, 'r0 = cmpxchg_64(r1 + 0, r0, r2)', 'cmpxchg_64', 'support.function.atomic');
  expectScope(g, 'w1 = atomic_fetch_add((u32 *)(r10 - 4), w1)', 'atomic_fetch_add', 'support.function.atomic');
  expectScope(g, 'w1 = atomic_fetch_add((u32 *)(r10 - 4), w1)', 'u32', 'storage.type');
  expectScope(g, 'r1 = be16 r1', 'be16', 'keyword.other');
  expectScope(g, 'be16 r1', 'be16', 'keyword.other');
  expectScope(g, 'if w1 s< w2 goto L', 's<', 'keyword.operator.comparison');
  expectScope(g, 'if w1 s< w2 goto L', 'L', 'entity.name.label');
  expectScope(g, 'r2 s>>= 3', 's>>=', 'keyword.operator.assignment');
  expectScope(g, 'gotol +100', 'gotol', 'keyword.control');
  expectScope(g, 'gotol +100', '+100', 'constant.numeric');
  expectScope(g, 'may_goto +2', 'may_goto', 'keyword.control');
  expectScope(g, 'r1 = 0x123 ll', '0x123', 'constant.numeric.integer.hexadecimal');
  expectScope(g, 'r1 = -0x80000000', '-0x80000000', 'constant.numeric');
  expectScope(g, 'r1 = 0b101', '0b101', 'constant.numeric.integer.binary');
  expectScope(g, 'r1 = 010', '010', 'constant.numeric.integer.octal');
  expectScope(g, 'r1 = 08', '08', 'invalid.illegal');
  expectScope(g, 'r1 = map_value(counters)+8 ll', 'map_value', 'support.function.pseudo');
  expectScope(g, 'r1 = map_value(counters)+8 ll', '+', 'keyword.operator.arithmetic');
  expectScope(g, 'r1 = func(callback) ll', 'callback', 'entity.name.function');
  expectScope(g, 'call my_func', 'my_func', 'entity.name.function');
  expectNoScope(g, 'call my_func', 'my_func', 'support.function');
  expectScope(g, 'call local my_func', 'local', 'keyword.other');
  expectScope(g, 'call local my_func', 'my_func', 'entity.name.function');
  expectScope(g, 'call kfunc 1234, 2', 'kfunc', 'keyword.other');
  expectScope(g, 'call kfunc 1234, 2', '1234', 'constant.numeric');
  expectScope(g, 'callx r2', 'r2', 'variable.language.register');
  expectScope(g, 'jeq r1, 5, label', 'label', 'entity.name.label');
  expectScope(g, 'jgt32 w1, r2, +3', 'jgt32', 'keyword.control.jump');
  expectScope(g, 'lock fetch add32 [r1+0], w2', 'fetch', 'keyword.other.atomic');
  expectScope(g, 'lock fetch add32 [r1+0], w2', 'add32', 'keyword.other.mnemonic');
  expectScope(g, 'addr_space_cast r1, r2, 1, 0', 'addr_space_cast', 'keyword.other.mnemonic');
  expectScope(g, 'r1 = addr_space_cast(r2, 1, 0)', 'addr_space_cast', 'support.function');
  expectScope(g, 'ld_pseudo r1, 1, 3', 'ld_pseudo', 'keyword.other.mnemonic');
  expectScope(g, '\t.section kprobe/do_unlinkat', 'kprobe/do_unlinkat', 'entity.name.section');
  expectScope(g, '\t.section socket,"ax",@progbits', '@progbits', 'support.constant');
  expectScope(g, '.map routes, type=lpm_trie, key=8, value=4, max_entries=64, flags=no_prealloc', 'no_prealloc', 'support.constant.map-flag');
  expectScope(g, '.map inner_set, type=array_of_maps, key=4, max_entries=8, inner=counters', 'counters', 'variable.other.map');
  expectScope(g, '\t.type\tcorpus,@function', 'corpus', 'entity.name.function');
  expectScope(g, '.Lend:', '.Lend', 'entity.name.function.label');
  expectScope(g, 'goto .Lend', '.Lend', 'entity.name.label');
});

test('ebpf: mnemonics only at the start of a statement; comments and separators', async () => {
  const g = await loadGrammar('source.ebpf');
  // A map may be named like a mnemonic: only the statement's first word is one.
  expectNoScope(g, 'r1 = add ll', 'add', 'keyword');
  expectScope(g, 'r0 = 1; mov r1, 2', 'mov', 'keyword.other.mnemonic');
  expectScope(g, 'r0 = 1; mov r1, 2', ';', 'punctuation.separator.statement');
  expectScope(g, 'out: mov r0, 0', 'mov', 'keyword.other.mnemonic');
  expectScope(g, '/* first */ mov r0, 0', 'mov', 'keyword.other.mnemonic');
  expectScope(g, '\t; a whole-line comment: mov r0, 1', 'mov', 'comment.line.semicolon');
  expectScope(g, 'r0 = 2 // slash comment', '// slash', 'comment.line.double-slash');
  expectScope(g, '/* before */ r0 = 3 /* after */', 'before', 'comment.block');
  expectScope(g, '/* before */ r0 = 3 /* after */', 'r0', 'variable.language.register');
  expectScope(g, '.license "a # not a comment"', '# not', 'string.quoted.double');
  const lines = tokenizeText(g, '/* a block comment\n   over two lines, r0 = 99 */ exit');
  assert.ok(lines[1].tokens.filter((t) => t.text.includes('r0')).every((t) => hasScope(t.scopes, 'comment.block')));
  assert.ok(hasScope(lines[1].tokens.find((t) => t.text === 'exit')!.scopes, 'keyword.control'));
});

// ---------------------------------------------------------------------------------------------
// eBPF: the tables.

/** An instruction of this row, with fields that satisfy its match and its rules. */
function sampleInsn(row: OpcodeSpec): Insn {
  const m = row.match ?? {};
  return {
    code: row.code, dst: row.dst === 'reg' ? 1 : 0, src: m.src ?? (row.src === 'reg' ? 2 : 0),
    off: m.off ?? (row.off === 's16' ? -4 : 0), imm: m.imm ?? row.immOneOf?.[0] ?? (row.imm === 'zero' ? 0 : 5),
  };
}

test('ebpf: every opcode row, printed in both dialects, is scoped throughout', async () => {
  const g = await loadGrammar('source.ebpf');
  const problems: string[] = [];
  for (const row of OPCODES) {
    const insns = [sampleInsn(row), { code: 0, dst: 0, src: 0, off: 0, imm: 0 }];
    for (const dialect of ['llvm', 'ubpf'] as const) {
      for (const nameAt of [() => undefined, () => 'target_fn']) {
        const text = printInsn(insns, 0, { dialect, nameAt });
        const line = tokenizeLine(g, `\t${text}`);
        problems.push(...unscoped([line]).map((u) => `${row.id} ${dialect}: ${u}`));
        for (const t of line.tokens) {
          if (/^(%r|[rw])\d+$/.test(t.text) && !hasScope(t.scopes, 'variable.language.register')) problems.push(`${row.id} ${dialect}: register '${t.text}' in '${text}'`);
          if (/^[-+]?(0x[0-9a-f]+|\d+)$/.test(t.text) && !hasScope(t.scopes, 'constant.numeric')) problems.push(`${row.id} ${dialect}: number '${t.text}' in '${text}'`);
        }
        const first = line.tokens.find((t) => t.text.trim())!;
        if (dialect === 'ubpf' && !hasScope(first.scopes, 'keyword')) problems.push(`${row.id}: mnemonic '${first.text}' is ${first.scopes.join(' ')}`);
      }
    }
    // The other spellings the assembler accepts: their first word is a keyword too.
    for (const alt of row.ubpfAlt ?? []) {
      const word = alt.split(' ')[0];
      const scopes = scopesAt(g, `\t${word} r1`, word);
      if (!hasScope(scopes, 'keyword')) problems.push(`${row.id}: alternative mnemonic '${word}' is ${scopes.join(' ')}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('ebpf: every helper name after call is a support.function, with or without bpf_', async () => {
  const g = await loadGrammar('source.ebpf');
  const missing: string[] = [];
  for (const h of HELPERS) {
    for (const spelling of [`bpf_${h.name}`, h.name]) {
      const scopes = scopesAt(g, `\tcall ${spelling}  # ${h.id}`, spelling);
      if (!hasScope(scopes, 'support.function.helper')) missing.push(spelling);
    }
  }
  // The grammar lists the helper table's names (sorted): when a helper is added, copy them from here.
  assert.deepEqual(missing, [], `update the helper names in syntaxes/ebpf.tmLanguage.json (#calls) to:\n${HELPERS.map((h) => h.name).sort().join('|')}`);
  expectNoScope(g, 'call bpf_map_lookup_elemx', 'bpf_map_lookup_elemx', 'support.function');
});

// ---------------------------------------------------------------------------------------------
// eBPF: agreement with the lexer, and robustness.

test('ebpf: the grammar sees the registers, numbers and comments the lexer sees, in every assembly file', async () => {
  const g = await loadGrammar('source.ebpf');
  const corpus = ebpfCorpus();
  assert.ok(corpus.length > 800, `only ${corpus.length} texts`);
  const problems: string[] = [];
  for (const { name, text } of corpus) {
    const lines = tokenizeText(g, text);
    const scopesOf = (line: number, col: number) => lines[line].tokens.find((t) => t.start <= col && col < t.end)?.scopes ?? [];
    const covered = lines.map((l) => new Array<boolean>(l.text.length).fill(false));
    for (const st of lex(text)) {
      for (const t of st.tokens) {
        for (let c = t.col; c < t.endCol; c++) covered[t.line][c] = true;
        const scopes = scopesOf(t.line, t.col);
        const where = `${name}:${t.line + 1}: '${t.text}'`;
        if (hasScope(scopes, 'comment')) problems.push(`${where} is code to the lexer but a comment here`);
        if (t.kind === 'reg' && t.reg! <= 15 && !hasScope(scopes, 'variable.language.register')) problems.push(`${where} is a register, here ${scopes.join(' ')}`);
        if (t.kind === 'num' && !hasScope(scopes, 'constant.numeric') && !hasScope(scopes, 'entity.name.section')) problems.push(`${where} is a number, here ${scopes.join(' ')}`);
      }
    }
    // What the lexer skips is blank, a comment, or a ';' between statements.
    lines.forEach((l, ln) => {
      for (let c = 0; c < l.text.length; c++) {
        if (covered[ln][c] || /\s/.test(l.text[c])) continue;
        const scopes = scopesOf(ln, c);
        if (!hasScope(scopes, 'comment') && !hasScope(scopes, 'punctuation.separator.statement')) {
          problems.push(`${name}:${ln + 1}:${c + 1}: '${l.text[c]}' is skipped by the lexer, here ${scopes.join(' ')}`);
          break;
        }
      }
    });
  }
  assert.deepEqual(problems.slice(0, 20), []);
});

test('ebpf: every file tokenizes fully, every line within the time limit', async () => {
  const g = await loadGrammar('source.ebpf');
  for (const { name, text } of ebpfCorpus()) {
    for (const [i, l] of tokenizeText(g, text).entries()) {
      assert.ok(!l.stoppedEarly, `${name}:${i + 1} stopped early`);
      assert.equal(l.tokens.map((t) => t.text).join(''), l.text, `${name}:${i + 1}: tokens do not cover the line`);
    }
  }
});

test('ebpf: the disassembly listing, in both dialects, with and without bytes', async () => {
  const g = await loadGrammar('source.ebpf');
  for (const file of filesIn(EXAMPLES, (n) => n.endsWith('.bpf.s'))) {
    const { object } = assemble(readFileSync(file, 'utf8'));
    for (const dialect of ['llvm', 'ubpf'] as const) {
      for (const showRaw of [true, false]) {
        const listing = disassemble(object, { dialect, showRaw });
        const lines = tokenizeText(g, listing);
        assert.deepEqual(unscoped(lines), [], `${relative(REPO_ROOT, file)} ${dialect} showRaw=${showRaw}`);
        for (const l of lines) {
          const m = /^ *(\d+):\t(?:[0-9a-f ]+\t)?(\S+)/.exec(l.text);
          if (!m) continue;
          const slot = l.tokens.find((t) => t.text === m[1])!;
          assert.ok(hasScope(slot.scopes, 'constant.numeric'), l.text);
          if (dialect === 'ubpf') {
            const word = l.tokens.find((t) => t.start >= l.text.lastIndexOf('\t') && t.text.trim())!;
            assert.ok(hasScope(word.scopes, 'keyword'), `${l.text}: ${word.text} is ${word.scopes.join(' ')}`);
          }
        }
        const bytes = lines.find((l) => /^ *0:\t[0-9a-f]{2} /.test(l.text));
        if (showRaw) assert.ok(bytes && hasScope(scopesAt(g, bytes.text, bytes.text.split('\t')[1]), 'constant.other.raw-bytes'), 'raw bytes');
        const header = lines.find((l) => l.text.startsWith('Disassembly of section'))!;
        assert.ok(hasScope(scopesAt(g, header.text, 'Disassembly'), 'markup.heading'));
      }
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Classic BPF.

test('cbpf: http_syn.cbpf (bpf_asm syntax)', async () => {
  const g = await loadGrammar('source.cbpf');
  const f = 'http_syn.cbpf';
  const ldh = lineOf(f, 'ldh [12]');
  expectScope(g, ldh, 'ldh', 'keyword.other.mnemonic');
  expectScope(g, ldh, '12', 'constant.numeric');
  expectScope(g, ldh, '[', 'punctuation');
  expectScope(g, ldh, '; EtherType', 'comment.line.semicolon');
  const jne = lineOf(f, 'jne #0x800, drop');
  expectScope(g, jne, 'jne', 'keyword.control.jump');
  expectScope(g, jne, '#0x800', 'constant.numeric.integer.hexadecimal');
  expectScope(g, jne, 'drop', 'entity.name.label');
  const ret = lineOf(f, 'drop:');
  expectScope(g, ret, 'drop', 'entity.name.function.label');
  expectScope(g, ret, 'ret', 'keyword.control');
  expectScope(g, ret, '#0', 'constant.numeric');
  const msh = lineOf(f, 'ldx 4*([14]&0xf)');
  expectScope(g, msh, 'ldx', 'keyword.other.mnemonic');
  expectScope(g, msh, '4', 'constant.numeric');
  expectScope(g, msh, '*', 'keyword.operator');
  expectScope(g, msh, '14', 'constant.numeric');
  expectScope(g, msh, '&', 'keyword.operator');
  expectScope(g, msh, '0xf', 'constant.numeric');
  const ind = lineOf(f, 'ldh [x + 16]');
  expectScope(g, ind, 'x', 'variable.language.register');
  expectScope(g, ind, '+', 'keyword.operator');
  expectScope(g, lineOf(f, '; Classic BPF'), 'Classic BPF', 'comment.line.semicolon');
  expectScope(g, lineOf(f, 'and #0x12'), 'and', 'keyword.other.mnemonic');
});

test('cbpf: the other bpf_asm spellings', async () => {
  const g = await loadGrammar('source.cbpf');
  expectScope(g, '\tld #proto', 'proto', 'support.constant.ancillary');
  expectScope(g, '\tld #len', 'len', 'support.constant.ancillary');
  expectScope(g, '\tld len', 'len', 'support.constant.ancillary');
  expectScope(g, '\tld M[3]', 'M', 'variable.language.scratch');
  expectScope(g, '\tst M[3]', '3', 'constant.numeric');
  expectScope(g, '\tret a', 'a', 'variable.language.register');
  expectScope(g, '\tadd %x', '%x', 'variable.language.register');
  expectScope(g, '\tjeq x, L1, L2', 'x', 'variable.language.register');
  expectScope(g, '\tjeq x, L1, L2', 'L2', 'entity.name.label');
  expectScope(g, '\tJEQ #1, a_label', 'JEQ', 'keyword.control.jump');
  expectScope(g, '\tja out', 'out', 'entity.name.label');
  expectScope(g, 'one: two: tax', 'two', 'entity.name.function.label');
  expectScope(g, 'one: two: tax', 'tax', 'keyword.other.mnemonic');
  expectScope(g, '\tld #-1', '#-1', 'constant.numeric');
});

test('cbpf: tcpdump -d, -dd and -ddd output', async () => {
  const g = await loadGrammar('source.cbpf');
  const insns = parseCbpf(readFileSync(join(EXAMPLES, 'http_syn.cbpf'), 'utf8')).insns;
  const d = tokenizeText(g, printTcpdump(insns));
  assert.deepEqual(unscoped(d), []);
  const first = d[0].text; // (000) ldh      [12]
  expectScope(g, first, '000', 'constant.numeric.integer.line-number');
  expectScope(g, first, '(', 'punctuation.definition.line-number');
  expectScope(g, first, 'ldh', 'keyword.other.mnemonic');
  const jeq = d.find((l) => l.text.includes('jt'))!.text; // (001) jeq      #0x800           jt 2	jf 13
  expectScope(g, jeq, 'jeq', 'keyword.control.jump');
  expectScope(g, jeq, 'jt', 'keyword.other.jump-field');
  expectScope(g, jeq, 'jf', 'keyword.other.jump-field');
  expectScope(g, jeq, '2', 'constant.numeric');
  const dd = tokenizeText(g, printTcpdumpDd(insns));
  assert.deepEqual(unscoped(dd), []);
  expectScope(g, dd[0].text, dd[0].text.trim().replace(/,$/, ''), 'meta.struct.sock-filter');
  expectScope(g, dd[0].text, '0x28', 'constant.numeric');
  const ddd = tokenizeText(g, printTcpdumpDdd(insns));
  assert.deepEqual(unscoped(ddd), []);
  expectScope(g, ddd[1].text, ddd[1].text.split(' ')[0], 'constant.numeric');
});

test('cbpf: every classic opcode, in bpf_asm and tcpdump spelling, is scoped throughout', async () => {
  const g = await loadGrammar('source.cbpf');
  const problems: string[] = [];
  for (const row of CBPF_OPCODES) {
    const insn: CInsn = { code: row.code, jt: 1, jf: 2, k: row.k ?? (row.kind === 'ld_mem' || row.kind === 'st' || row.kind === 'stx' || row.kind === 'ldx_mem' ? 3 : 0x800) };
    assert.equal(lookupCbpfRow(insn.code, insn.k), row);
    for (const text of [`\t${asmInsn(insn, 0)}`, tcpdumpInsn(insn, 0)]) {
      const line = tokenizeLine(g, text);
      problems.push(...unscoped([line]).map((u) => `${row.id}: ${u}`));
      const word = line.tokens.find((t) => /^[a-z]/i.test(t.text))!;
      if (!hasScope(word.scopes, 'keyword')) problems.push(`${row.id}: '${word.text}' in '${text}' is ${word.scopes.join(' ')}`);
    }
    // Every other spelling the parser accepts starts with a keyword, whatever its case.
    for (const alt of [...(row.asmAlt ?? []), ...(row.tcpdumpAlt ?? [])]) {
      const word = alt.split(' ')[0];
      for (const w of [word, word.toUpperCase()]) {
        const scopes = scopesAt(g, `\t${alt.replace(word, w)}`, w);
        if (!hasScope(scopes, 'keyword')) problems.push(`${row.id}: '${w}' in '${alt}' is ${scopes.join(' ')}`);
      }
    }
    if (row.kind === 'ld_anc') {
      for (const spelling of [row.asm, ...(row.asmAlt ?? [])]) {
        const name = spelling.split(' ')[1].replace('#', '');
        const scopes = scopesAt(g, `\t${spelling}`, name);
        if (!hasScope(scopes, 'support.constant.ancillary')) problems.push(`${row.id}: '${spelling}' names ${scopes.join(' ')}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('cbpf: the grammar sees the numbers and comments the classic parser sees', async () => {
  const g = await loadGrammar('source.cbpf');
  const insns = parseCbpf(readFileSync(join(EXAMPLES, 'http_syn.cbpf'), 'utf8')).insns;
  const texts = [
    ...filesIn(EXAMPLES, (n) => n.endsWith('.cbpf')).map((f) => readFileSync(f, 'utf8')),
    printTcpdump(insns), insns.map((insn, i) => asmInsn(insn, i)).join('\n'),
  ];
  const problems: string[] = [];
  for (const text of texts) {
    for (const l of tokenizeText(g, text)) {
      assert.equal(l.tokens.map((t) => t.text).join(''), l.text);
      assert.ok(!l.stoppedEarly);
      const toks = cbpfTokenize(l.text);
      const codeEnd = toks.length ? toks[toks.length - 1].endCol : 0;
      for (const t of l.tokens) {
        if (t.start >= codeEnd && t.text.trim() && !hasScope(t.scopes, 'comment')) problems.push(`'${l.text}': '${t.text}' after the code is not a comment`);
        if (t.end <= codeEnd && hasScope(t.scopes, 'comment')) problems.push(`'${l.text}': '${t.text}' is code, not a comment`);
      }
      for (const t of toks) {
        const scopes = l.tokens.find((x) => x.start <= t.col && t.col < x.end)!.scopes;
        if (t.kind === 'num' && !hasScope(scopes, 'constant.numeric')) problems.push(`'${l.text}': number '${t.text}' is ${scopes.join(' ')}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test('every assembly file in examples/ is tokenized by the grammar of its language', async () => {
  const grammars = { ebpf: await loadGrammar('source.ebpf'), cbpf: await loadGrammar('source.cbpf') };
  // The extensions package.json gives each language; C sources, inputs and the README are not ours to colour.
  const files = filesIn(EXAMPLES, (n) => /\.(bpf\.s|ebpf|bpf\.asm|cbpf|bpf_asm)$/.test(n));
  assert.ok(files.length >= 3, `only ${files.length} assembly examples`);
  for (const file of files) {
    const g = /\.(cbpf|bpf_asm)$/.test(file) ? grammars.cbpf : grammars.ebpf;
    const lines = tokenizeText(g, readFileSync(file, 'utf8'));
    const name = relative(REPO_ROOT, file);
    assert.ok(lines.every((l) => !l.stoppedEarly && l.tokens.map((t) => t.text).join('') === l.text), name);
    // Every line with text has something beyond plain text: no rule silently fell through.
    for (const l of lines) if (l.text.trim()) assert.ok(l.tokens.some((t) => t.scopes.length > 1), `${name}: '${l.text}' has no scopes`);
  }
});
