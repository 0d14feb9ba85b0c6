/**
 * The editor snippets (snippets/ebpf.json, snippets/cbpf.json) produce working code: each body,
 * expanded with its placeholders at their defaults (and each choice tried in turn), assembles
 * without errors, and a whole program passes our verifier. A fragment (a lookup, a bounds
 * check, a loop) is checked inside a small host program, with code at its final tab stop
 * that relies on what the fragment promises (the null check, the bounds check).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../paths';
import { assemble } from '../../core/asm/assemble';
import { Analysis, analyzeDocument } from '../../core/ide/analysis';
import { Diagnostic } from '../../core/diag';

interface Snippet {
  prefix: string | string[];
  description: string;
  body: string | string[];
}

function loadSnippets(language: 'ebpf' | 'cbpf'): Record<string, Snippet> {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'snippets', `${language}.json`), 'utf8')) as Record<string, Snippet>;
}

// ---------------------------------------------------------------------------------------------
// Expanding a body, as VS Code's snippet syntax has it:
//   $1 ${1} ${1:default} ${1|one,two|}  tab stops ($0 the final one); a tab stop without a
//   default shows the default another occurrence of it gives;
//   $NAME ${NAME} ${NAME:default}       variables (none is set here: the default, or nothing);
//   \$ \} \\                              escapes.

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'tabstop'; n: number; children?: Node[] }
  | { kind: 'choice'; n: number; options: string[] }
  | { kind: 'variable'; name: string; children?: Node[] };

/** Parses a body up to an unescaped `}` when `nested` (the end of a placeholder), else to the end. */
function parse(src: string, pos: { i: number }, nested: boolean): Node[] {
  const out: Node[] = [];
  let text = '';
  const flush = () => { if (text) out.push({ kind: 'text', text }); text = ''; };
  while (pos.i < src.length) {
    const c = src[pos.i];
    if (c === '\\' && pos.i + 1 < src.length && '$}\\'.includes(src[pos.i + 1])) { text += src[pos.i + 1]; pos.i += 2; continue; }
    if (c === '}' && nested) { pos.i++; flush(); return out; }
    if (c === '$') {
      const simple = /^\$(\d+|[A-Za-z_]\w*)/.exec(src.slice(pos.i));
      if (simple) {
        flush();
        pos.i += simple[0].length;
        out.push(/^\d/.test(simple[1]) ? { kind: 'tabstop', n: Number(simple[1]) } : { kind: 'variable', name: simple[1] });
        continue;
      }
      const braced = /^\$\{(\d+|[A-Za-z_]\w*)(:|\||\})/.exec(src.slice(pos.i));
      if (braced) {
        flush();
        pos.i += braced[0].length;
        const [, id, sep] = braced;
        const isTab = /^\d/.test(id);
        if (sep === '}') { out.push(isTab ? { kind: 'tabstop', n: Number(id) } : { kind: 'variable', name: id }); continue; }
        if (sep === '|') {
          const end = src.indexOf('|}', pos.i);
          assert.ok(end >= 0 && isTab, `unterminated choice in ${src}`);
          out.push({ kind: 'choice', n: Number(id), options: src.slice(pos.i, end).split(',') });
          pos.i = end + 2;
          continue;
        }
        const children = parse(src, pos, true);
        out.push(isTab ? { kind: 'tabstop', n: Number(id), children } : { kind: 'variable', name: id, children });
        continue;
      }
    }
    text += c;
    pos.i++;
  }
  assert.ok(!nested, `unterminated placeholder in ${src}`);
  flush();
  return out;
}

interface ExpandOptions {
  /** What to put at the final tab stop ($0). */
  final?: string;
  /** Which option of a choice to take (default: the first). */
  choose?: (n: number, options: string[]) => string;
}

function bodyText(s: Snippet): string {
  return Array.isArray(s.body) ? s.body.join('\n') : s.body;
}

/** The text a snippet inserts when every placeholder keeps its default. */
function expandSnippet(s: Snippet, opts: ExpandOptions = {}): string {
  const nodes = parse(bodyText(s), { i: 0 }, false);
  const defaults = new Map<number, Node>();
  const walk = (ns: Node[]) => ns.forEach((n) => {
    if ((n.kind === 'tabstop' && n.children) || n.kind === 'choice') { if (!defaults.has(n.n)) defaults.set(n.n, n); }
    if ((n.kind === 'tabstop' || n.kind === 'variable') && n.children) walk(n.children);
  });
  walk(nodes);
  const render = (ns: Node[]): string => ns.map((n): string => {
    switch (n.kind) {
      case 'text': return n.text;
      case 'variable': return n.children ? render(n.children) : '';
      case 'choice': return (opts.choose ?? ((_, o) => o[0]))(n.n, n.options);
      case 'tabstop': {
        if (n.children) return render(n.children);
        const d = defaults.get(n.n);
        if (d) return render([d]);
        return n.n === 0 ? opts.final ?? '' : '';
      }
    }
  }).join('');
  return render(nodes);
}

/** Every tab stop's defaults, rendered, so that mirrored placeholders can be compared. */
function tabstopDefaults(s: Snippet): Map<number, Set<string>> {
  const res = new Map<number, Set<string>>();
  const walk = (ns: Node[]) => ns.forEach((n) => {
    if (n.kind === 'tabstop' && n.children) {
      const text = n.children.map((c) => (c.kind === 'text' ? c.text : '…')).join('');
      res.set(n.n, (res.get(n.n) ?? new Set()).add(text));
      walk(n.children);
    }
    if (n.kind === 'choice') res.set(n.n, (res.get(n.n) ?? new Set()).add(n.options.join('|')));
  });
  walk(parse(bodyText(s), { i: 0 }, false));
  return res;
}

/** Every way to expand a snippet that matters: the defaults, then each option of each choice. */
function variants(s: Snippet): { label: string; opts: (final?: string) => ExpandOptions }[] {
  const choices: { n: number; options: string[] }[] = [];
  const walk = (ns: Node[]) => ns.forEach((n) => {
    if (n.kind === 'choice' && !choices.some((c) => c.n === n.n)) choices.push(n);
    if ((n.kind === 'tabstop' || n.kind === 'variable') && n.children) walk(n.children);
  });
  walk(parse(bodyText(s), { i: 0 }, false));
  const res: { label: string; opts: (final?: string) => ExpandOptions }[] = [{ label: 'defaults', opts: (final) => ({ final }) }];
  for (const c of choices) {
    for (const option of c.options.slice(1)) {
      res.push({ label: `\${${c.n}} = ${option}`, opts: (final) => ({ final, choose: (n, o) => (n === c.n ? option : o[0]) }) });
    }
  }
  return res;
}

test('the expander reads the snippet syntax', () => {
  const s = (body: string): Snippet => ({ prefix: 'x', description: '', body });
  assert.equal(expandSnippet(s('a ${1:one} $1 ${2} $0 b')), 'a one one   b');
  assert.equal(expandSnippet(s('$1 then ${1:late}')), 'late then late');
  assert.equal(expandSnippet(s('r0 = ${2|2,1,3|}')), 'r0 = 2');
  assert.equal(expandSnippet(s('r0 = ${2|2,1,3|}'), { choose: (_, o) => o[2] }), 'r0 = 3');
  assert.equal(expandSnippet(s('${1:outer ${2:inner}} $2')), 'outer inner inner');
  assert.equal(expandSnippet(s('\\$x \\} ${TM_FILENAME} ${TM_FILENAME:f.s} $TM_LINE')), '$x }  f.s ');
  assert.equal(expandSnippet(s('\t$0'), { final: 'exit' }), '\texit');
});

// ---------------------------------------------------------------------------------------------
// Checking the expansions.

function errors(diags: readonly Diagnostic[]): string[] {
  return diags.filter((d) => d.severity === 'error').map((d) => `line ${(d.span?.line ?? -1) + 1}: ${d.message}`);
}

/** Assembles and analyses eBPF text: no errors, and every program verified and accepted. */
function checkProgram(text: string, what: string, nPrograms = 1): Analysis {
  assert.deepEqual(errors(assemble(text).diagnostics), [], `${what} does not assemble:\n${text}`);
  const a = analyzeDocument(text);
  assert.deepEqual(errors(a.diagnostics), [], `${what} has errors:\n${text}`);
  assert.equal(a.programs.length, nPrograms, `${what}: programs`);
  for (const p of a.programs) assert.equal(p.result?.accepted, true, `${what}: ${p.ref.section} is not accepted`);
  return a;
}

function indent(fragment: string): string {
  return fragment.split('\n').map((l) => (l ? `\t${l}` : l)).join('\n');
}

/**
 * Host programs for the fragments, by snippet name: the fragment goes where VS Code would
 * insert it, with `final` at its $0, code that needs what the fragment checks.
 */
const HOSTS: Record<string, { final: string; host: (fragment: string) => string }> = {
  'Map lookup with null check': {
    final: 'r1 = *(u64 *)(r0 + 0)           # dereferencing r0 is allowed only after the null check',
    // A hash map: an array lookup with a constant key in range cannot fail, and the verifier knows it.
    host: (f) => [
      '\t.map counters, type=hash, key=4, value=8, max_entries=64',
      '\t.section xdp', 'prog:', indent(f), '\tr0 = 2', '\texit',
    ].join('\n'),
  },
  'Packet bounds check': {
    final: 'r5 = *(u8 *)(r2 + 13)           # the last byte the check allows',
    host: (f) => ['\t.section xdp', 'prog:', indent(f), 'out:', '\tr0 = 2', '\texit'].join('\n'),
  },
  'Bounded loop': {
    final: 'r0 += r6',
    host: (f) => ['\t.section socket', 'prog:', '\tr0 = 0', indent(f), '\texit'].join('\n'),
  },
  'Map declaration': {
    final: '',
    host: (f) => [f, '\t.section socket', 'prog:', '\tr1 = name ll', '\tr0 = 0', '\texit'].join('\n'),
  },
};

test('ebpf snippets: every whole program is accepted, every fragment works in its host', () => {
  const snippets = loadSnippets('ebpf');
  assert.ok(Object.keys(snippets).length >= 9);
  for (const [name, s] of Object.entries(snippets)) {
    assert.ok(s.prefix.length > 0 && s.description, `${name}: prefix and description`);
    for (const v of variants(s)) {
      const what = `snippet '${name}' (${v.label})`;
      const host = HOSTS[name];
      if (host) {
        checkProgram(host.host(expandSnippet(s, v.opts(host.final))), what);
        continue;
      }
      const text = expandSnippet(s, v.opts());
      assert.ok(/^\s*\.section\s/m.test(text), `${what} is neither a whole program (.section) nor a fragment with a host in HOSTS`);
      checkProgram(text, what);
    }
  }
});

test('ebpf snippets: the fragments really are checked by the verifier', () => {
  // Without its null check or bounds check, the host program is refused: the hosts prove something.
  const lookup = loadSnippets('ebpf')['Map lookup with null check'];
  const text = HOSTS['Map lookup with null check'].host(expandSnippet(lookup, { final: HOSTS['Map lookup with null check'].final }));
  const unchecked = analyzeDocument(text.replace(/^.*if r0 == 0 goto.*$/m, ''));
  assert.ok(errors(unchecked.diagnostics).length > 0, 'the lookup host accepts a dereference without the null check');
  const bounds = loadSnippets('ebpf')['Packet bounds check'];
  const host = HOSTS['Packet bounds check'];
  const tooFar = analyzeDocument(host.host(expandSnippet(bounds, { final: 'r5 = *(u8 *)(r2 + 14)' })));
  assert.ok(errors(tooFar.diagnostics).length > 0, 'the bounds host accepts a read one past the check');
});

test('cbpf snippets: every one parses, passes the classic checks and its translation is accepted', () => {
  const snippets = loadSnippets('cbpf');
  assert.ok(Object.keys(snippets).length >= 3);
  for (const [name, s] of Object.entries(snippets)) {
    for (const v of variants(s)) {
      const what = `snippet '${name}' (${v.label})`;
      const text = expandSnippet(s, v.opts());
      const a = analyzeDocument(text, { language: 'cbpf' });
      assert.deepEqual(errors(a.diagnostics), [], `${what} has errors:\n${text}`);
      assert.equal(a.cbpf?.translation !== undefined, true, `${what}: not translated`);
      assert.equal(a.programs.length, 1, `${what}: programs`);
      assert.equal(a.programs[0].result?.accepted, true, `${what}: the translation is not accepted`);
    }
  }
});

test('snippets: a tab stop that appears several times has one default everywhere', () => {
  for (const language of ['ebpf', 'cbpf'] as const) {
    for (const [name, s] of Object.entries(loadSnippets(language))) {
      for (const [n, texts] of tabstopDefaults(s)) assert.equal(texts.size, 1, `${language} '${name}': \${${n}} has defaults ${[...texts].join(' / ')}`);
    }
  }
});
