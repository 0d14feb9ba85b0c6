/**
 * core/ide/fixes.ts: each quick fix is applied to its document, the document analysed again,
 * and the fix judged by the result. The preferred fix must leave a document that assembles,
 * and the verifier must no longer report the error at the instruction it was made for (nor
 * any other error on that line). Checked on small XDP and tc programs in both dialects, on
 * examples/xdp_drop_udp.bpf.s with its checks removed, on every rejected case of the
 * verifier corpus that gets a fix, and, for robustness, on generated broken documents
 * (where lenses and inlay hints are exercised too).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Diagnostic } from '../../core/diag';
import { Analysis, analyzeDocument } from '../../core/ide/analysis';
import { QuickFix, TextEdit, quickFixes } from '../../core/ide/fixes';
import { codeLenses } from '../../core/ide/lens';
import { inlayHints } from '../../core/ide/inlay';
import { REPO_ROOT, TEST_DATA } from '../paths';
import { parseCase } from '../verifier/kernelVerdict';
import { randInt, rng } from '../gen';

const XDP_DROP_UDP = readFileSync(join(REPO_ROOT, 'examples', 'xdp_drop_udp.bpf.s'), 'utf8');

/** The text with the edits applied (positions are the original document's; inserts at one place keep their order). */
function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const starts = [0];
  for (let k = 0; k < text.length; k++) if (text[k] === '\n') starts.push(k + 1);
  const offset = (line: number, col: number) => starts[line] + col;
  const sorted = edits.map((e, k) => ({ e, k })).sort((x, y) => offset(y.e.line, y.e.col) - offset(x.e.line, x.e.col) || y.k - x.k);
  for (const { e } of sorted) text = text.slice(0, offset(e.line, e.col)) + e.newText + text.slice(offset(e.endLine, e.endCol));
  return text;
}

/** Where a line of the original document is once the edits are applied. */
function shiftedLine(line: number, edits: readonly TextEdit[]): number {
  return line + edits.filter((e) => e.line < line || (e.line === line && e.col === 0)).reduce((n, e) => n + e.newText.split('\n').length - 1, 0);
}

function analyze(text: string, progType = 'socket_filter'): Analysis {
  return analyzeDocument(text, { defaultProgType: progType });
}

function firstError(a: Analysis): Diagnostic {
  const d = a.diagnostics.find((x) => x.code === 'verifier' && x.severity === 'error');
  assert.ok(d, `expected a verifier error, got ${JSON.stringify(a.diagnostics.map((x) => x.message))}`);
  return d;
}

/**
 * Applies the preferred fix for the document's first verifier error and checks the outcome.
 * Returns the fixed text and the fix, for further checks.
 */
function checkPreferredFix(text: string, progType: string, expectMessage?: RegExp): { fixed: string; fix: QuickFix } {
  const a = analyze(text, progType);
  const d = firstError(a);
  if (expectMessage) assert.match(d.message, expectMessage);
  const fix = quickFixes(a, d).find((f) => f.preferred);
  assert.ok(fix, `no preferred fix for "${d.message}"`);
  const fixed = applyEdits(text, fix.edits);
  const b = analyze(fixed, progType);
  assert.deepEqual(b.diagnostics.filter((x) => x.code !== 'verifier' && x.severity === 'error').map((x) => x.message), [], `the fix does not assemble:\n${fixed}`);
  const line = shiftedLine(d.span!.line, fix.edits);
  const still = b.diagnostics.filter((x) => x.severity === 'error' && x.span?.line === line);
  assert.deepEqual(still.map((x) => x.message), [], `an error remains at line ${line} after "${fix.title}":\n${fixed}`);
  return { fixed, fix };
}

/** Applies preferred fixes until the document verifies (or gives up), returning the text. */
function fixUntilAccepted(text: string, progType: string, maxFixes: number): { text: string; nFixes: number } {
  for (let n = 0; n <= maxFixes; n++) {
    const a = analyze(text, progType);
    const d = a.diagnostics.find((x) => x.severity === 'error');
    if (!d) return { text, nFixes: n };
    text = checkPreferredFix(text, progType).fixed;
  }
  assert.fail(`still rejected after ${maxFixes} fixes:\n${text}`);
}

const lines = (...xs: string[]) => `${xs.join('\n')}\n`;

// --- missing packet bounds checks --------------------------------------------------------------

test('packet: xdp read without a check gets rT = rB; rT += off+size; if rT > data_end', () => {
  const text = lines('\t.section xdp', 'prog:', '\tr2 = *(u32 *)(r1 + 0)', '\tr3 = *(u32 *)(r1 + 4)', '\tr5 = *(u16 *)(r2 + 12)', '\tr0 = 2', '\texit');
  const { fixed } = checkPreferredFix(text, 'xdp', /offset is outside of the packet/);
  assert.match(fixed, /\tr4 = r2\n\tr4 \+= 14\n\tif r4 > r3 goto out_of_bounds\n\tr5 = \*\(u16 \*\)\(r2 \+ 12\)/);
  assert.match(fixed, /\nout_of_bounds:\n\tr0 = 2\n\texit\n/);
  assert.equal(analyze(fixed, 'xdp').programs[0].result?.accepted, true);
});

test('packet: tc access through a moved pointer checks only the bytes accessed', () => {
  const text = lines('\t.section tc', 'prog:', '\tr2 = *(u32 *)(r1 + 76)', '\tr3 = *(u32 *)(r1 + 80)', '\tr4 = r2', '\tr4 += 14',
    '\tr5 = *(u32 *)(r4 + 0)', '\tr0 = 0', '\texit');
  const { fixed } = checkPreferredFix(text, 'sched_cls');
  // r4 already points 14 bytes in: 4 more bytes make the 18 the access needs.
  assert.match(fixed, /r(\d) = r4\n\tr\1 \+= 4\n\tif r\1 > r3 goto out_of_bounds/);
  assert.match(fixed, /out_of_bounds:\n\tr0 = 0\n\texit/);
});

test('packet: an existing `r0 = verdict; exit` label is reused', () => {
  const text = lines('\t.section xdp', 'prog:', '\tr2 = *(u32 *)(r1 + 0)', '\tr3 = *(u32 *)(r1 + 4)', '\tr0 = *(u8 *)(r2 + 0)',
    '\tif r0 == 1 goto pass', '\tr0 = 1', '\texit', 'pass:', '\tr0 = 2', '\texit');
  const { fixed, fix } = checkPreferredFix(text, 'xdp');
  assert.equal(fix.edits.length, 1);
  assert.match(fixed, /goto pass\n\tr0 = \*\(u8 \*\)\(r2 \+ 0\)/);
  assert.doesNotMatch(fixed, /out_of_bounds/);
});

test('packet: data_end is loaded from the context when no register holds it', () => {
  const xdp = lines('\t.section xdp', 'prog:', '\tr2 = *(u32 *)(r1 + 0)', '\tr0 = *(u8 *)(r2 + 0)', '\tr0 = 2', '\texit');
  assert.match(checkPreferredFix(xdp, 'xdp').fixed, /r(\d) = \*\(u32 \*\)\(r1 \+ 4\)\n\tr(\d) = r2\n\tr\2 \+= 1\n\tif r\2 > r\1 goto/);
  // In tc, with the context kept in r6 and r1 overwritten: data_end is skb+80, read through r6.
  const tc = lines('\t.section tc', 'prog:', '\tr6 = r1', '\tr2 = *(u32 *)(r6 + 76)', '\tr1 = 0', '\tr0 = *(u16 *)(r2 + 12)', '\tr0 = 0', '\texit');
  assert.match(checkPreferredFix(tc, 'sched_cls').fixed, /= \*\(u32 \*\)\(r6 \+ 80\)/);
});

test('packet: a store, an access after a label on its line, and CRLF line ends', () => {
  const store = lines('\t.section tc', 'prog:', '\tr2 = *(u32 *)(r1 + 76)', '\tr3 = *(u32 *)(r1 + 80)', '\t*(u8 *)(r2 + 5) = 1', '\tr0 = 0', '\texit');
  assert.match(checkPreferredFix(store, 'sched_cls').fixed, /r\d \+= 6/);
  const labelled = lines('\t.section xdp', 'prog:', '\tr2 = *(u32 *)(r1 + 0)', '\tr3 = *(u32 *)(r1 + 4)', '\tr4 = *(u32 *)(r1 + 12)', '\tif r4 == 0 goto l1',
    'l1:\tr0 = *(u8 *)(r2 + 0)', '\tr0 = 2', '\texit');
  // Inline after the label, so that the jump to l1 goes through the check too.
  assert.match(checkPreferredFix(labelled, 'xdp').fixed, /l1:\tr(\d) = r2; r\1 \+= 1; if r\1 > r3 goto out_of_bounds; r0 = /);
  const crlf = lines('\t.section xdp', 'prog:', '\tr2 = *(u32 *)(r1 + 0)', '\tr3 = *(u32 *)(r1 + 4)', '\tr0 = *(u8 *)(r2 + 0)', '\tr0 = 2', '\texit').replace(/\n/g, '\r\n');
  const { fixed } = checkPreferredFix(crlf, 'xdp');
  assert.doesNotMatch(fixed.replace(/\r\n/g, ''), /\n/);
});

test('packet: uBPF lines get uBPF text', () => {
  const text = lines('\t.section xdp', 'prog:', '\tldxw r2, [r1+0]', '\tldxw r3, [r1+4]', '\tldxh r5, [r2+12]', '\tmov r0, 2', '\texit');
  const { fixed } = checkPreferredFix(text, 'xdp');
  assert.match(fixed, /\tmov r4, r2\n\tadd r4, 14\n\tjgt r4, r3, out_of_bounds\n/);
  assert.match(fixed, /out_of_bounds:\n\tmov r0, 2\n\texit/);
});

test('packet: examples/xdp_drop_udp.bpf.s with its bounds checks removed verifies again after two fixes', () => {
  const stripped = XDP_DROP_UDP.split('\n').filter((l) => !/^\t(r4 = r2|r4 \+= \d+|if r4 > r3 goto count)\b/.test(l)).join('\n');
  assert.equal(analyze(stripped).programs[0].result?.accepted, false);
  const { text, nFixes } = fixUntilAccepted(stripped, 'xdp', 4);
  assert.equal(nFixes, 2);
  assert.match(text, /\+= 14\n.*goto out_of_bounds\n\tr5 = \*\(u16 \*\)\(r2 \+ 12\)/);
  assert.match(text, /\+= 24\n.*goto out_of_bounds\n\tr5 = \*\(u8 \*\)\(r2 \+ 23\)/);
});

test('packet: no fix where no check can help (negative offset, offset past 0xffff, unbounded variable part, helper access)', () => {
  for (const file of ['pkt-negative-offset', 'pkt-huge-const-offset', 'pkt-var-offset-unbounded', 'helper-pkt-arg-past-range']) {
    const c = corpusCase(file);
    const a = analyze(c.asm, c.progType);
    assert.deepEqual(quickFixes(a, firstError(a)), [], file);
  }
});

// --- missing NULL checks ---------------------------------------------------------------------

test('null: the check goes right after the lookup, covering copies made later', () => {
  const text = lines('\t.map h, type=hash, key=4, value=8, max_entries=4', '\t.section xdp', 'prog:', '\tr1 = 0', '\t*(u32 *)(r10 - 4) = r1',
    '\tr2 = r10', '\tr2 += -4', '\tr1 = h ll', '\tcall bpf_map_lookup_elem', '\tr6 = r0', '\tr1 = *(u64 *)(r6 + 0)', '\tr0 = 2', '\texit');
  const { fixed } = checkPreferredFix(text, 'xdp', /^R6 invalid mem access 'map_value_or_null'$/);
  assert.match(fixed, /call bpf_map_lookup_elem\n\tif r0 == 0 goto is_null\n\tr6 = r0/);
  assert.equal(analyze(fixed, 'xdp').programs[0].result?.accepted, true);
});

test('null: examples/xdp_drop_udp.bpf.s without its null check verifies again', () => {
  const stripped = XDP_DROP_UDP.replace(/\tif r0 == 0 goto out .*\n/, '');
  const { fixed } = checkPreferredFix(stripped, 'xdp', /^R0 invalid mem access 'map_value_or_null'$/);
  assert.match(fixed, /call bpf_map_lookup_elem .*\n\tif r0 == 0 goto is_null\n/);
  assert.equal(analyze(fixed).programs[0].result?.accepted, true);
});

test('null: a context pointer (skb->sk) is checked just before the access; uBPF gets jeq', () => {
  const sk = lines('\t.section tc', 'prog:', '\tr2 = *(u64 *)(r1 + 168)', '\tr0 = *(u32 *)(r2 + 4)', '\tr0 = 0', '\texit');
  assert.match(checkPreferredFix(sk, 'sched_cls').fixed, /\tif r2 == 0 goto is_null\n\tr0 = \*\(u32 \*\)\(r2 \+ 4\)/);
  const ubpf = lines('\t.map h, type=hash, key=4, value=8, max_entries=4', '\t.section tc', 'prog:', '\tstw [r10-4], 0', '\tmov r2, r10',
    '\tadd r2, -4', '\tlddw r1, map_fd(h)', '\tcall 1', '\tldxdw r3, [r0+0]', '\tmov r0, 0', '\texit');
  assert.match(checkPreferredFix(ubpf, 'sched_cls').fixed, /\tcall 1\n\tjeq r0, 0, is_null\n/);
});

// --- R0 unset at exit --------------------------------------------------------------------------

test('R0: set at the start of the function, keeping the paths that set it', () => {
  const tc = lines('\t.section tc', 'prog:', '\tr2 = 1', '\texit');
  assert.match(checkPreferredFix(tc, 'sched_cls', /^R0 !read_ok$/).fixed, /prog:\n\tr0 = 0\n\tr2 = 1/);
  const branchy = lines('\t.section xdp', 'prog:', '\tr2 = *(u32 *)(r1 + 16)', '\tif r2 == 0 goto done', '\tr0 = 1', 'done:', '\texit');
  const { fixed, fix } = checkPreferredFix(branchy, 'xdp');
  assert.match(fix.title, /XDP_PASS/);
  assert.match(fixed, /prog:\n\tr0 = 2\n\tr2 = /);
  assert.match(fixed, /\tr0 = 1\ndone:/);
});

test('R0: set before exit when a void helper may leave it unset (bpf_tail_call), and in uBPF', () => {
  const c = corpusCase('tailcall-r0-after-call');
  const a = analyze(c.asm, c.progType);
  const fixes = quickFixes(a, firstError(a));
  assert.equal(fixes.length, 2);
  assert.match(fixes.find((f) => f.preferred)!.title, /before exit/);
  checkPreferredFix(c.asm, c.progType);
  const ubpf = lines('\t.section xdp', 'prog:', '\tmov r2, 1', '\texit');
  assert.match(checkPreferredFix(ubpf, 'xdp').fixed, /prog:\n\tmov r0, 2\n/);
});

test('R0: a subprogram that returns nothing gets r0 = 0 at its own start', () => {
  const c = corpusCase('call-callee-no-r0');
  const { fix } = checkPreferredFix(c.asm, c.progType);
  assert.match(fix.title, /^Set r0 = 0 at the start of/);
});

// --- stack bytes never written -------------------------------------------------------------------

/**
 * Our verifier is privileged (uninitialised stack reads are allowed), so the message comes
 * from the kernel's unprivileged check: added here to the program's result, as a kernel log would.
 */
function withKernelStackError(text: string, progType: string, line: number, message: string): { a: Analysis; d: Diagnostic } {
  const a = analyze(text, progType);
  const p = a.programs[0];
  const insnIdx = a.insnsAtLine.get(line)![0].insnIdx;
  const d: Diagnostic = { code: 'verifier', severity: 'error', message, insnIdx, span: { line, col: 1, endCol: 2 } };
  p.result!.diagnostics.push(d);
  a.diagnostics.push(d);
  return { a, d };
}

test('stack: zero stores covering the read go at the start of the function', () => {
  const text = lines('\t.section xdp', 'prog:', '\tr0 = 2', '\tr2 = *(u64 *)(r10 - 16)', '\texit');
  const { a, d } = withKernelStackError(text, 'xdp', 3, 'invalid read from stack R10 off=-16 size=8');
  const fix = quickFixes(a, d).find((f) => f.preferred)!;
  const fixed = applyEdits(text, fix.edits);
  assert.match(fixed, /prog:\n\t\*\(u64 \*\)\(r10 - 16\) = 0\n\tr0 = 2/);
  assert.equal(analyze(fixed, 'xdp').programs[0].result?.accepted, true);
  // A 12-byte helper read from fp-12, in the kernel's other spelling: an aligned 4-byte store, then 8.
  const helper = lines('\t.map h, type=hash, key=12, value=8, max_entries=4', '\t.section tc', 'prog:', '\tr2 = r10', '\tr2 += -12',
    '\tr1 = h ll', '\tcall bpf_map_lookup_elem', '\tr0 = 0', '\texit');
  const k = withKernelStackError(helper, 'sched_cls', 6, 'invalid indirect read from stack R2 off -12+0 size 12');
  const fixedHelper = applyEdits(helper, quickFixes(k.a, k.d)[0].edits);
  assert.match(fixedHelper, /prog:\n\t\*\(u32 \*\)\(r10 - 12\) = 0\n\t\*\(u64 \*\)\(r10 - 8\) = 0\n/);
  assert.equal(analyze(fixedHelper, 'sched_cls').programs[0].result?.accepted, true);
});

test('stack: before the read when the function start is a loop head; none outside the stack', () => {
  const text = lines('\t.section xdp', 'prog:', '\tr0 = 2', '\tr2 = *(u64 *)(r10 - 8)', '\tmay_goto prog', '\texit');
  const { a, d } = withKernelStackError(text, 'xdp', 3, 'invalid read from stack R10 off=-8 size=8');
  assert.match(applyEdits(text, quickFixes(a, d)[0].edits), /\tr0 = 2\n\t\*\(u64 \*\)\(r10 - 8\) = 0\n\tr2 = /);
  const c = corpusCase('stack-read-at-fp');
  const b = analyze(c.asm, c.progType);
  assert.deepEqual(quickFixes(b, firstError(b)), []);
});

// --- the verifier corpus -------------------------------------------------------------------------

function corpusCase(name: string): { asm: string; progType: string } {
  const c = parseCase(readFileSync(join(TEST_DATA, 'verifier', `${name}.data`), 'utf8'));
  assert.ok(!('broken' in c), name);
  return c;
}

test('the verifier corpus: every preferred fix removes its error', () => {
  const dir = join(TEST_DATA, 'verifier');
  const fixedByKind = new Map<string, number>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.data')).sort()) {
    const c = parseCase(readFileSync(join(dir, file), 'utf8'));
    // Only the messages a fix is made for: analysing the rest (some run to the complexity limit) is slow.
    if ('broken' in c || c.result !== 'reject' || !/packet|_or_null'|!read_ok|read from stack/.test(c.error ?? '')) continue;
    const a = analyze(c.asm, c.progType);
    const d = a.diagnostics.find((x) => x.code === 'verifier');
    if (!d || !quickFixes(a, d).some((f) => f.preferred)) continue;
    checkPreferredFix(c.asm, c.progType);
    const kind = /packet/.test(d.message) ? 'packet' : /_or_null/.test(d.message) ? 'null' : /!read_ok/.test(d.message) ? 'R0' : d.message;
    fixedByKind.set(kind, (fixedByKind.get(kind) ?? 0) + 1);
  }
  // 24 cases at the time of writing: 11 packet, 9 NULL, 4 R0.
  assert.ok((fixedByKind.get('packet') ?? 0) >= 10, JSON.stringify([...fixedByKind]));
  assert.ok((fixedByKind.get('null') ?? 0) >= 8, JSON.stringify([...fixedByKind]));
  assert.ok((fixedByKind.get('R0') ?? 0) >= 4, JSON.stringify([...fixedByKind]));
});

// --- robustness -------------------------------------------------------------------------------------

const JUNK = ['r1 = ', 'goto nowhere', 'if r1 > goto', 'exit', 'call 9999', ':', 'x:', '*(u8 *)(r2 + 0) = 1', 'r0 = *(u8 *)(r2 + 99)',
  '.section xdp', 'lddw r1,', 'r0 = 0', 'r1 = r10', 'ja -1', '/* open comment', 'r11 = 1', 'call bpf_map_lookup_elem', 'if r0 == 0 goto out'];

/** A broken variant of `text`: a line or two deleted, duplicated, swapped, cut short, or junk inserted. */
function mutate(text: string, r: () => number): string {
  const ls = text.split('\n');
  for (let n = randInt(r, 1, 2); n > 0 && ls.length > 1; n--) {
    const k = randInt(r, 0, ls.length - 1);
    switch (randInt(r, 0, 5)) {
      case 0: case 1: ls.splice(k, 1); break;
      case 2: ls.splice(k, 0, ls[k]); break;
      case 3: { const j = randInt(r, 0, ls.length - 1); [ls[k], ls[j]] = [ls[j], ls[k]]; break; }
      case 4: ls[k] = ls[k].slice(0, randInt(r, 0, ls[k].length)); break;
      default: ls.splice(k, 0, `\t${JUNK[randInt(r, 0, JUNK.length - 1)]}`);
    }
  }
  return ls.join('\n');
}

test('fixes, lenses and inlay hints never throw on broken documents, and every preferred fix assembles and works', () => {
  const r = rng(7);
  // The corpus cases whose rejection a fix is made for: their broken variants still reach the fixes often.
  const corpus = readdirSync(join(TEST_DATA, 'verifier')).sort()
    .map((f) => parseCase(readFileSync(join(TEST_DATA, 'verifier', f), 'utf8')))
    .flatMap((c) => ('broken' in c || !/packet|_or_null'|!read_ok/.test(c.error ?? '') ? [] : [{ text: c.asm, progType: c.progType }]));
  const bases = [{ text: XDP_DROP_UDP, progType: 'xdp' }, { text: readFileSync(join(REPO_ROOT, 'examples', 'socket_ubpf.bpf.s'), 'utf8'), progType: 'socket_filter' }, ...corpus];
  const classic = readFileSync(join(REPO_ROOT, 'examples', 'http_syn.cbpf'), 'utf8');
  let nFixes = 0;
  for (let n = 0; n < 600; n++) {
    const language = n % 8 === 7 ? 'cbpf' : 'ebpf';
    const base = bases[n % bases.length];
    const text = mutate(language === 'cbpf' ? classic : base.text, r);
    const progType = base.progType;
    const a = analyzeDocument(text, { language, defaultProgType: progType });
    codeLenses(a);
    inlayHints(a, { startLine: randInt(r, -5, 40), endLine: randInt(r, 0, 80) });
    for (const d of a.diagnostics) {
      for (const fix of quickFixes(a, d)) {
        for (const e of fix.edits) assert.ok(e.line >= 0 && e.line < a.lines.length && e.col <= a.lines[e.line].length, `edit outside the document: ${JSON.stringify(e)}`);
        if (!fix.preferred) continue;
        nFixes++;
        const b = analyzeDocument(applyEdits(text, fix.edits), { language, defaultProgType: progType });
        assert.deepEqual(b.diagnostics.filter((x) => x.code !== 'verifier' && x.severity === 'error').map((x) => x.message), [], `"${fix.title}" on:\n${text}`);
        const line = shiftedLine(d.span!.line, fix.edits);
        assert.ok(!b.diagnostics.some((x) => x.message === d.message && x.span?.line === line), `"${fix.title}" leaves "${d.message}" on:\n${text}`);
      }
    }
  }
  assert.ok(nFixes >= 50, `only ${nFixes} fixes exercised`);
});
