// The language server's latency as an editor sees it: the built server (dist/server.js) over
// stdio, driven by the protocol tests' client (out/test/server/client.js). On generated XDP
// programs of 1,000 and 10,000 instructions that the verifier accepts (so that every edit runs
// the full verification), it measures didChange → publishDiagnostics for a one-character edit
// in the middle of the file (debounce included), and the hover and completion round trips once
// the analysis is warm. The targets: diagnostics within 50 ms for 1,000 instructions and
// 300 ms for 10,000. Numbers over target are printed as such; they do not fail the bench.
//
// Run alone with `node scripts/bench-lsp.mjs` (after npm run build and npm run compile-tests);
// `npm run bench` runs it last.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
const require = createRequire(import.meta.url);
const { LspClient } = require('../out/test/server/client.js');
const { rng } = require('../out/test/gen.js');
const { xdpParserProgram } = require('../out/test/gen/xdpParser.js');
const { analyzeDocument } = require('../out/core/ide/analysis.js');

const SIZES = [{ nInsns: 1000, targetMs: 50 }, { nInsns: 10000, targetMs: 300 }];
const N_EDITS = 20;
const N_REQUESTS = 50;
const WAIT_MS = 120000;

export async function benchLsp() {
  const client = new LspClient();
  try {
    await client.initialize({});
    const rows = [];
    for (const size of SIZES) rows.push(await benchOne(client, size));
    printTable(rows);
  } finally {
    await client.close();
  }
}

async function benchOne(client, { nInsns, targetMs }) {
  const { text, nLines } = xdpProgram(nInsns, nInsns);
  const uri = `file:///bench/xdp_${nInsns}.bpf.s`;
  await client.open(uri, text);
  const first = await client.diagnostics((p) => p.uri === uri && p.version === 1, WAIT_MS);
  const accepted = first.diagnostics.length === 0;
  if (!accepted) console.log(`  (the ${nInsns}-instruction program is not accepted: ${first.diagnostics[0].message.split('\n')[0]}; the numbers below do not cover a full verification)`);

  // A one-character edit in the middle that keeps the program valid: the bound of a bounds check
  // (`r4 += 18` → `r4 += 19` and back; checking one byte more is always safe).
  const lines = text.split('\n');
  const mid = Math.floor(lines.length / 2);
  let line = mid;
  while (!/^\tr4 \+= \d*[0-8]$/.test(lines[line])) line++;
  const col = lines[line].length - 1;
  const digits = [lines[line][col], String(Number(lines[line][col]) + 1)];
  const editMs = [];
  for (let k = 0; k < N_EDITS + 2; k++) {
    const range = { start: { line, character: col }, end: { line, character: col + 1 } };
    const t0 = performance.now();
    const version = await client.change(uri, digits[(k + 1) % 2], range);
    const p = await client.diagnostics((x) => x.uri === uri && x.version === version, WAIT_MS);
    const ms = performance.now() - t0;
    if (k >= 2) editMs.push(ms); // the first two warm the worker up
    if (p.diagnostics.length && accepted) console.log(`  (edit ${k} broke the program: ${p.diagnostics[0].message.split('\n')[0]})`);
  }

  // Hover and completion in the middle of the file, on the analysis of the last version.
  const positions = [];
  for (let l = mid; positions.length < N_REQUESTS; l = l + 1 < lines.length - 1 ? l + 1 : mid) {
    const m = /r5|r4|bpf_map_lookup_elem|counters/.exec(lines[l]);
    if (m) positions.push({ line: l, character: m.index + 1 });
  }
  const hoverMs = await roundTrips(client, 'textDocument/hover', positions.map((position) => ({ textDocument: { uri }, position })));
  const completionMs = await roundTrips(client, 'textDocument/completion', positions.map((position) => ({ textDocument: { uri }, position: { line: position.line, character: 1 } })));
  let hovers = 0;
  for (const position of positions.slice(0, 5)) if (await client.request('textDocument/hover', { textDocument: { uri }, position })) hovers++;

  // The same analysis in this process, without the protocol, the worker or the debounce.
  const analysisMs = [];
  for (let k = 0; k < 5; k++) {
    const t0 = performance.now();
    analyzeDocument(text, { defaultProgType: 'socket_filter' });
    analysisMs.push(performance.now() - t0);
  }
  await client.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
  return { nInsns, nLines, targetMs, accepted, editMs, hoverMs, completionMs, analysisMs, hovers };
}

async function roundTrips(client, method, paramsList) {
  const out = [];
  for (const params of paramsList) {
    const t0 = performance.now();
    await client.request(method, params);
    out.push(performance.now() - t0);
  }
  return out;
}

function printTable(rows) {
  console.log('LSP latency: dist/server.js over stdio, one server, medians and p90 (ms); debounce of 15 ms included in diagnostics');
  const head = ['program', 'diagnostics after a 1-char edit', 'target', 'verdict', 'analysis alone', 'hover', 'completion'];
  const body = rows.map((r) => {
    const med = quantile(r.editMs, 0.5);
    const over = med > r.targetMs;
    return [
      `${r.nInsns.toLocaleString('en')} insns (${r.nLines.toLocaleString('en')} lines)${r.accepted ? '' : ', REJECTED'}`,
      `${fmt(med)} / p90 ${fmt(quantile(r.editMs, 0.9))}`,
      `< ${r.targetMs}`,
      over ? `OVER TARGET (${(med / r.targetMs).toFixed(1)}x)` : `within target (${(med / r.targetMs).toFixed(2)}x)`,
      fmt(quantile(r.analysisMs, 0.5)),
      `${fmt(quantile(r.hoverMs, 0.5))} / p90 ${fmt(quantile(r.hoverMs, 0.9))}${r.hovers ? '' : ' (null)'}`,
      `${fmt(quantile(r.completionMs, 0.5))} / p90 ${fmt(quantile(r.completionMs, 0.9))}`,
    ];
  });
  const widths = head.map((h, k) => Math.max(h.length, ...body.map((b) => b[k].length)));
  for (const row of [head, ...body]) console.log(`  ${row.map((c, k) => c.padEnd(widths[k])).join('  ')}`.trimEnd());
  console.log(`  (${N_EDITS} edits, ${N_REQUESTS} hovers and ${N_REQUESTS} completions per program, each awaited before the next; ` +
    '"analysis alone" is analyzeDocument on the same text in this process)');
}

function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

const fmt = (ms) => (ms < 10 ? ms.toFixed(1) : ms.toFixed(0));

/** The robustness test's generated XDP parser (test/gen/xdpParser.ts), which the verifier accepts. */
function xdpProgram(nInsns, seed) {
  const text = xdpParserProgram(rng(seed), nInsns);
  return { text, nLines: text.split('\n').length - 1 };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await benchLsp();
