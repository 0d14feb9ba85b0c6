/** core/testing: reading a sidecar (positions, checks with line numbers), running a case and comparing its outcome. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonValue, parseJsonTree, positionAt } from '../../core/testing/jsonTree';
import { fieldSpan, parseSidecar } from '../../core/testing/sidecar';
import { CaseOutcome, isProblem, runCase } from '../../core/testing/runCase';
import { compareOutcome } from '../../core/testing/compare';
import { assemble } from '../../core/asm/assemble';
import { listPrograms } from '../../core/link';
import { DEFAULT_ENV } from '../../core/vm/host';

/** The 0-based line of the first line of `text` containing `needle`. */
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle));

test('the JSON tree gives what JSON.parse gives, and where each value starts', () => {
  const docs = ['{"a": [1, -2.5e3, true, null, "x\\u00e9\\n"], "b": {}}', '[]', '"s"', '0', '{"cases": [{"name": "n", "input": {"packet": "00"}}]}'];
  for (const d of docs) {
    const t = parseJsonTree(d);
    assert.ok('root' in t, d);
    assert.deepEqual(jsonValue(t.root), JSON.parse(d));
  }
  const text = '{\n  "a": 1,\n  "b": [true]\n}';
  const t = parseJsonTree(text);
  assert.ok('root' in t && t.root.kind === 'object');
  assert.deepEqual(positionAt(text, t.root.entries[1].value.start), { line: 2, col: 7 });
});

test('bad JSON is reported at the line and column where it goes wrong', () => {
  for (const [text, line, col] of [
    ['{\n  "cases": [\n    {"name": "a"}\n    {"name": "b"}\n  ]\n}', 3, 4],
    ['{\n  "cases": [],\n}', 2, 0],
    ['{"cases": [tru]}', 0, 11],
    ['{"cases": "unterminated\n}', 0, 23],
  ] as const) {
    const r = parseSidecar(text);
    assert.equal(r.cases.length, 0);
    assert.equal(r.diagnostics.length, 1, text);
    assert.match(r.diagnostics[0].message, /^not valid JSON: expected /);
    assert.deepEqual([r.diagnostics[0].span?.line, r.diagnostics[0].span?.col], [line, col], `${text}: ${r.diagnostics[0].message}`);
  }
});

const GOOD = `{
  "cases": [
    {
      "name": "inline",
      "input": { "packet": "0a 0B 0x0c", "ctx": { "ingress_ifindex": 2 }, "maps": { "m": { "entries": [] } }, "env": { "cpu": 1, "pid": 7 }, "budget": 50 },
      "expect": { "retval": -1, "r0": "0xffffffffffffffff", "packet": "0A0b0c", "events": ["01 02", { "map": "rb", "data": "03" }] }
    },
    {
      "name": "files",
      "program": "p", "section": "xdp", "progType": "xdp",
      "input": { "pcap": "in/f.pcap", "pcapIndex": 3, "maps": "m.json", "env": "env.json", "ctx": "c.json" },
      "expect": { "fault": true, "maps": { "m": { "type": "hash", "entries": [{ "key": "0100 0000", "value": null }, { "key": "02000000", "values": ["aa", "BB"] }] } } }
    }
  ]
}`;

test('a good sidecar reads into cases: bytes, files as written, expectations normalised, ranges', () => {
  const r = parseSidecar(GOOD);
  assert.deepEqual(r.diagnostics, []);
  const [a, b] = r.cases;
  assert.equal(a.name, 'inline');
  assert.deepEqual([...a.input.packet!], [10, 11, 12]);
  assert.deepEqual(a.input.ctx, { value: { ingress_ifindex: 2 } });
  assert.ok(a.input.env && 'value' in a.input.env);
  assert.deepEqual([a.input.env.value.cpu, a.input.env.value.pid], [1, 7]);
  assert.equal(a.input.budget, 50);
  assert.equal(a.expect.retval, 0xffffffff);
  assert.equal(a.expect.r0, (1n << 64n) - 1n);
  assert.deepEqual(a.expect.events, [{ data: '0102' }, { map: 'rb', data: '03' }]);
  assert.deepEqual([a.range.line, a.range.endLine], [lineOf(GOOD, '"name": "inline"') - 1, lineOf(GOOD, '"name": "files"') - 2]);

  assert.deepEqual([b.program, b.section, b.progType], ['p', 'xdp', 'xdp']);
  assert.deepEqual([b.input.pcap, b.input.pcapIndex, b.input.maps, b.input.env, b.input.ctx], ['in/f.pcap', 3, { file: 'm.json' }, { file: 'env.json' }, { file: 'c.json' }]);
  assert.equal(b.expect.fault, true);
  assert.deepEqual(b.expect.maps!.m.entries, [{ key: '01000000', value: null }, { key: '02000000', values: ['aa', 'bb'] }]);
  assert.equal(fieldSpan(b, 'input.pcapIndex').line, lineOf(GOOD, '"pcapIndex": 3'));
  assert.equal(fieldSpan(b, 'expect.maps.m').line, lineOf(GOOD, '"type": "hash"'));
  assert.equal(fieldSpan(b, 'nothing.here').line, lineOf(GOOD, '"name": "files"'));
});

test('every mistake in a sidecar is reported on its own line', () => {
  const text = `{
  "cases": [
    { "name": "a", "inptu": {} },
    { "name": "a" },
    { "name": "c", "input": { "packet": "0g", "pcap": "x.pcap" } },
    { "name": "d", "expect": { "retval": 4294967296, "r0": "twelve", "fault": "yes" } },
    { "name": "e", "input": { "pcapIndex": 1, "env": { "colour": 1 } } },
    { "input": {} },
    { "name": "g", "expect": { "maps": { "m": { "entries": [{ "key": "00" }] } }, "events": [{ "map": "rb" }] } }
  ],
  "extra": 1
}`;
  const r = parseSidecar(text);
  const at = (re: RegExp) => r.diagnostics.filter((d) => re.test(d.message)).map((d) => d.span!.line);
  assert.deepEqual(at(/unknown field 'inptu' in case 0/), [2]);
  assert.deepEqual(at(/two cases are named 'a'/), [3]);
  assert.deepEqual(at(/"packet": not hex: 'g'/), [4]);
  assert.deepEqual(at(/give one of "packet", "packetFile", "pcap"/), [4]);
  assert.deepEqual(at(/"retval" must be an integer of 32 bits/), [5]);
  assert.deepEqual(at(/"r0" must be a 64-bit integer/), [5]);
  assert.deepEqual(at(/"fault" must be true or false/), [5]);
  assert.deepEqual(at(/"pcapIndex" needs "pcap"/), [6]);
  assert.deepEqual(at(/"env": unknown key 'colour'/), [6]);
  assert.deepEqual(at(/case 5 has no "name"/), [7]);
  assert.deepEqual(at(/entry 0 needs "value"/), [8]);
  assert.deepEqual(at(/an event needs "data"/), [8]);
  assert.deepEqual(at(/unknown field 'extra' in the sidecar/), [10]);
  assert.equal(r.diagnostics.length, 13, r.diagnostics.map((d) => d.message).join('\n'));
  assert.deepEqual(parseSidecar('{"case": []}').diagnostics.map((d) => d.message), [
    "unknown field 'case' in the sidecar (fields: cases)", 'expected {"cases": [...]}: the sidecar has no "cases"',
  ]);
});

/** An xdp program: drops frames shorter than 20 bytes, passes the rest, counts them in `seen`, and faults on a 15-byte frame. */
const XDP = `.map seen, type=percpu_array, key=4, value=8, max_entries=1
.map q, type=queue, key=0, value=4, max_entries=4
.section xdp
prog:
r6 = 2
r2 = *(u32 *)(r1 + 0)
r3 = *(u32 *)(r1 + 4)
r4 = r3
r4 -= r2
if r4 != 15 goto ok
r0 = *(u8 *)(r2 + 100)
ok:
r4 = r2
r4 += 20
if r4 <= r3 goto count
r6 = 1
count:
r1 = 0
*(u32 *)(r10 - 4) = r1
r2 = r10
r2 += -4
r1 = seen ll
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = 1
lock *(u64 *)(r0 + 0) += r1
out:
r0 = r6
exit
`;

function xdpRun(packet: number[], extra: { maps?: unknown; env?: { cpu: number; nCpus: number } } = {}): CaseOutcome {
  const { object, diagnostics } = assemble(XDP);
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
  const [ref] = listPrograms(object);
  const env = extra.env ? { ...DEFAULT_ENV, ...extra.env } : undefined;
  const out = runCase({ kind: 'ebpf', obj: object, ref, progType: 'xdp' }, { packets: [Uint8Array.from(packet)], maps: extra.maps, env });
  assert.ok(!isProblem(out), isProblem(out) ? out.message : '');
  return out;
}

test('a case runs through the VM and its outcome compares field by field', () => {
  const long = xdpRun(new Array(20).fill(0));
  assert.equal(long.exit, 'ok');
  assert.equal(long.r0, 2n);
  assert.equal(long.pos?.line, lineOf(XDP, 'exit'));
  assert.deepEqual(compareOutcome({ retval: 2, r0: 2n, fault: false }, long).failures, []);
  assert.deepEqual(compareOutcome({ retval: 1 }, long).failures, [{ field: 'retval', expected: 1, got: 2 }]);
  assert.deepEqual(compareOutcome({ r0: 3n }, long).failures, [{ field: 'r0', expected: '3', got: '2' }]);
  assert.deepEqual(compareOutcome({ fault: true }, long).failures, [{ field: 'fault', expected: true, got: 'exit with retval 2' }]);
  assert.deepEqual(compareOutcome({ packet: new Uint8Array(20) }, long).failures, []);
  assert.deepEqual(compareOutcome({ packet: new Uint8Array(19) }, long).failures.map((f) => f.field), ['packet']);

  // Per-CPU: "value" is the CPU the case ran on, "values" every CPU; null wants the key absent.
  const seen = (value: string | null | undefined, values?: string[]) => ({ seen: { entries: [{ key: '00000000', value, values }] } });
  assert.deepEqual(compareOutcome({ maps: seen('0100000000000000') }, long).failures, []);
  assert.deepEqual(compareOutcome({ maps: seen(undefined, ['0100000000000000', '0000000000000000']) }, long).failures, []);
  assert.deepEqual(compareOutcome({ maps: seen(null) }, long).failures, [{ field: 'maps.seen[00000000]', expected: null, got: '0100000000000000' }]);
  const onCpu1 = xdpRun(new Array(20).fill(0), { env: { cpu: 1, nCpus: 2 } });
  assert.deepEqual(compareOutcome({ maps: seen('0100000000000000') }, onCpu1, { cpu: 1 }).failures, []);
  assert.deepEqual(compareOutcome({ maps: seen('0100000000000000') }, onCpu1, { cpu: 0 }).failures, [{ field: 'maps.seen[00000000]', expected: '0100000000000000', got: '0000000000000000' }]);

  // Keyless maps compare as a whole list; input maps are loaded first.
  const withQueue = xdpRun(new Array(20).fill(0), { maps: { q: { entries: [{ value: '01000000' }, { value: '02000000' }] } } });
  assert.deepEqual(compareOutcome({ maps: { q: { entries: [{ value: '0100 0000' }, { value: '02000000' }] } } }, withQueue).failures, []);
  assert.deepEqual(compareOutcome({ maps: { q: { entries: [{ value: '01000000' }] } } }, withQueue).failures, [{ field: 'maps.q', expected: ['01000000'], got: ['01000000', '02000000'] }]);

  // A map the program lacks, or of another type, is a problem with the sidecar, not a failure.
  assert.deepEqual(compareOutcome({ maps: { nope: { entries: [] } } }, long).problems, [{ field: 'expect.maps.nope', message: "unknown map 'nope' (the program has 'seen', 'q')" }]);
  assert.match(compareOutcome({ maps: { seen: { type: 'hash', entries: [] } } }, long).problems[0].message, /is a percpu_array, not a hash/);
  assert.deepEqual(compareOutcome({ events: [{ data: '00' }] }, long).failures, [{ field: 'events', expected: [{ data: '00' }], got: [] }]);

  const short = xdpRun(new Array(16).fill(0));
  assert.equal(short.r0, 1n);
  assert.deepEqual(compareOutcome({ retval: 2 }, short).failures, [{ field: 'retval', expected: 2, got: 1 }]);
});

test('a fault stops the case at the faulting instruction; only fault: true expects it', () => {
  const out = xdpRun(new Array(15).fill(7));
  assert.equal(out.exit, 'fault');
  assert.equal(out.pos?.line, lineOf(XDP, 'r0 = *(u8 *)(r2 + 100)'));
  assert.deepEqual(compareOutcome({ fault: true }, out).failures, []);
  const [f] = compareOutcome({ retval: 2 }, out).failures;
  assert.equal(f.field, 'fault');
  assert.equal(f.expected, false);
  assert.match(String(f.got), /packet/);
});

test('an input the program cannot take is a problem naming the field', () => {
  const { object } = assemble(XDP);
  const [ref] = listPrograms(object);
  const bad = runCase({ kind: 'ebpf', obj: object, ref, progType: 'xdp' }, { packets: [new Uint8Array(20)], maps: { nope: { entries: [] } } });
  assert.ok(isProblem(bad));
  assert.equal(bad.field, 'input.maps');
  assert.match(bad.message, /unknown map 'nope'/);
});
