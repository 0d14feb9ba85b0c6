/** The debugger's expression language: grammar, arithmetic, loads, errors, interpolation, map queries, fuzz. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  checkMapQuery, evaluate, evaluateText, EvalEnv, interpolate, keyBytes, machineEnv, MAX_NESTING, mapQueryText,
  parseExpression, parseMapQuery,
} from '../../core/debug/expr';
import { assemble } from '../../core/asm/assemble';
import { listPrograms } from '../../core/link';
import { createRun } from '../../core/vm/run';
import { randInt, rng } from '../gen';
import { REPO_ROOT } from '../paths';

const MAX = (1n << 64n) - 1n;
const MEM_BASE = 0x1000n;

/** r0-r10 set to `regs`, 64 bytes of memory at 0x1000 holding 0x80, 0x81, ..., and the classic names A, X and M[]. */
function fakeEnv(regs: Record<number, bigint> = {}): EvalEnv {
  const mem = Uint8Array.from({ length: 64 }, (_, k) => 0x80 + k);
  return {
    reg: (n) => regs[n] ?? 0n,
    read: (addr, size) => {
      const off = addr - MEM_BASE;
      if (off < 0n || off + BigInt(size) > BigInt(mem.length)) return `no memory at 0x${addr.toString(16)}`;
      return mem.slice(Number(off), Number(off) + size);
    },
    name: (name) => ({ A: 7n, X: 3n } as Record<string, bigint>)[name],
    index: (name, i) => (name !== 'M' ? undefined : i < 16n ? 100n + i : 'scratch memory has words 0 to 15'),
  };
}

/** The value of `text`, failing the test on an error. */
function value(text: string, env = fakeEnv()): bigint {
  const res = evaluateText(text, env);
  assert.ok(res.ok, `${text}: ${res.ok ? '' : res.error}`);
  return res.value;
}

function checkValues(cases: [string, bigint][], env = fakeEnv()): void {
  for (const [text, want] of cases) assert.equal(value(text, env), BigInt.asUintN(64, want), text);
}

/** A parse error at a column. */
function checkParseError(text: string, col: number, message: RegExp): void {
  const res = parseExpression(text);
  assert.ok(!res.ok, `${text} should not parse`);
  assert.equal(res.col, col, `${text}: ${res.error}`);
  assert.match(res.error, message, text);
}

test('precedence follows C', () => {
  checkValues([
    ['1 + 2 * 3', 7n], ['(1 + 2) * 3', 9n], ['1 | 2 ^ 3 & 4', 3n], ['1 << 2 + 1', 8n], ['1 + 2 == 3', 1n],
    ['1 < 2 == 1', 1n], ['0 || 1 && 0', 0n], ['1 || 0 && 0', 1n], ['-2 * 3', -6n], ['!0 + 1', 2n], ['~0', MAX],
    ['6 & 3 == 3', 0n], ['2 + 3 s< 6', 1n], ['-1 s>> 1 == -1', 1n], ['--5', 5n], ['!!7', 1n], ['- ~0', 1n],
  ]);
});

test('binary operators are left-associative', () => {
  checkValues([
    ['10 - 4 - 3', 3n], ['64 / 4 / 2', 8n], ['1 << 2 << 3', 32n], ['2 - -1', 3n], ['100 % 7 % 3', 2n], ['2 * 3 % 4', 2n],
  ]);
});

test('arithmetic is u64 with wraparound; shift counts are masked to 63', () => {
  checkValues([
    ['0 - 1', MAX], ['0xffffffffffffffff + 2', 1n], ['0x8000000000000000 * 2', 0n], ['1 << 64', 1n], ['1 << 63', 1n << 63n],
    ['0x8000000000000000 >> 63', 1n], ['8 >> 65', 4n], ['0b1011', 11n], ['0xFF', 255n], ['007', 7n], ['18446744073709551615', MAX],
  ]);
});

test('signed comparisons, signed division and casts', () => {
  checkValues([
    ['-1 s< 0', 1n], ['-1 < 0', 0n], ['-1 s<= -1', 1n], ['0 s> -1', 1n], ['0 > -1', 0n], ['-2 s>= -1', 0n],
    ['(s32)0xffffffff s< 0', 1n], ['(u32)0xffffffff s< 0', 0n], ['(u32)-1', 0xffffffffn], ['(s8)0x80', -128n],
    ['(s16)0x7fff', 0x7fffn], ['(u8)0x1234', 0x34n], ['(u16)0x12345', 0x2345n], ['(s64)-1', -1n], ['(u64)-1', MAX],
    ['(__s8)0xff', -1n], ['-7 s/ 2', -3n], ['-7 s% 2', -1n], ['7 s% -2', 1n], ['-7 / 2', (MAX - 6n) / 2n],
    ['-8 s>> 1', -4n], ['-8 >> 60', 15n], ['(s32)0x80000000 / 2', 0x7fffffffc0000000n],
  ]);
  // The 64-bit signed minimum divided by -1 wraps, as the VM's sdiv does.
  checkValues([['0x8000000000000000 s/ -1', 1n << 63n]]);
});

test('a signed cast or load at the top is shown signed', () => {
  const env = fakeEnv({ 1: MAX });
  const show = (text: string) => interpolate(`{${text}}`, env);
  assert.equal(show('r1'), '18446744073709551615');
  assert.equal(show('(s64)r1'), '-1');
  assert.equal(show('(s32)r1 + 1'), '0');
  assert.equal(show('((s8)r1)'), '-1');
  assert.equal(show('*(s8 *)0x1000'), '-128');
  assert.equal(show('*(u8 *)0x1000'), '128');
  const parsed = parseExpression('(s16)r1');
  assert.ok(parsed.ok);
  const res = evaluate(parsed.expr, env);
  assert.deepEqual(res, { ok: true, value: MAX, signed: true });
});

test('registers: r0-r10, w0-w10 (low 32 bits), fp, R1', () => {
  const env = fakeEnv({ 1: 5n, 2: 0x1_0000_0005n, 10: 0x7f0000001000n });
  checkValues([['r1 + w2', 10n], ['r2', 0x1_0000_0005n], ['W2', 5n], ['R1', 5n], ['fp - 8', 0x7f0000000ff8n], ['r10 == fp', 1n]], env);
  checkParseError('r11 + 1', 0, /there is no register r11 \(eBPF has r0-r10\)/);
});

test('loads are little-endian through env.read; signed loads sign-extend; a fault names the address', () => {
  const env = fakeEnv({ 2: MEM_BASE });
  checkValues([
    ['*(u8 *)(r2)', 0x80n], ['*(u16 *)(r2 + 12)', 0x8d8cn], ['*(u32 *)(r2 + 4)', 0x87868584n],
    ['*(u64 *)r2', 0x8786858483828180n], ['*(s8 *)r2', -128n], ['*(s16 *)(r2 + 2)', BigInt.asIntN(16, 0x8382n)],
    ['*(s32 *)r2', BigInt.asIntN(32, 0x83828180n)], ['*(u8 *)(r2 + 1) + 1', 0x82n], ['*(u8 *)r2 + 1', 0x81n],
    ['*(u8 *)(r2 + *(u8 *)r2 - 0x80) == 0x80', 1n],
  ], env);
  const res = evaluateText('*(u32 *)(r2 + 62)', env);
  assert.ok(!res.ok);
  assert.equal(res.error, 'cannot read *(u32 *)0x103e: no memory at 0x103e (column 1)');
  assert.equal(res.col, 0);
});

test('&& and || short-circuit: the right side is not evaluated', () => {
  const env = fakeEnv({ 2: 0n });
  checkValues([['r2 != 0 && *(u8 *)r2 == 1', 0n], ['r2 == 0 || *(u8 *)r2 == 1', 1n], ['0 && 1 / 0', 0n], ['1 || 1 / 0', 1n], ['2 && 3', 1n]], env);
  assert.ok(!evaluateText('1 && *(u8 *)r2', env).ok);
});

test('names and NAME[i] resolve through the environment', () => {
  checkValues([['A + X', 10n], ['M[3]', 103n], ['M[A - 7]', 100n], ['A == 7 && M[15] == 115', 1n]]);
  const bad = evaluateText('A + M[16]', fakeEnv());
  assert.deepEqual(bad, { ok: false, error: 'M[16]: scratch memory has words 0 to 15 (column 5)', col: 4 });
  const unknown = evaluateText('1 + counters', fakeEnv());
  assert.deepEqual(unknown, { ok: false, error: "unknown name 'counters' (column 5)", col: 4 });
  const noIndex = evaluateText('Q[1]', fakeEnv());
  assert.ok(!noIndex.ok && /unknown name 'Q'/.test(noIndex.error));
  const bare: EvalEnv = { reg: () => 0n, read: () => 'none' };
  assert.ok(!evaluateText('A', bare).ok);
});

test('division and modulo by zero are errors at the operator', () => {
  for (const [text, col, what] of [['r1 / 0', 3, 'division'], ['5 % (r1 - r1)', 2, 'modulo'], ['1 s/ 0', 2, 'division'], ['1 s% 0', 2, 'modulo']] as const) {
    const res = evaluateText(text, fakeEnv());
    assert.ok(!res.ok, text);
    assert.equal(res.col, col, text);
    assert.match(res.error, new RegExp(`^${what} by zero`), text);
  }
});

test('parse errors name what is wrong and where', () => {
  checkParseError('', 0, /empty expression/);
  checkParseError('   ', 0, /empty expression/);
  checkParseError('r1 +', 4, /expected a value, but the expression ends/);
  checkParseError('r1 = 5', 3, /'=' assigns; compare with '=='/);
  checkParseError('(r1 + 2', 7, /expected '\)' to close the '\(' at column 1, found the end/);
  checkParseError('r1 + 2)', 6, /expected an operator, found '\)'/);
  checkParseError('*(r2)', 0, /a load needs its size/);
  checkParseError('*r2', 0, /a load needs its size/);
  checkParseError('*(u16 r2)', 6, /expected '\*' after '\*\(u16'/);
  checkParseError('*(u16 *(r2)', 7, /expected '\)' to close '\*\(u16 \*'/);
  checkParseError('1 2', 2, /expected an operator, found '2'/);
  checkParseError('0x', 0, /bad number '0x'/);
  checkParseError('12ab', 0, /bad number '12ab'/);
  checkParseError('r1 @ 2', 3, /unexpected character '@'/);
  checkParseError('0x10000000000000000', 0, /does not fit in 64 bits/);
  checkParseError('r1 + u32', 5, /'u32' is a type/);
  checkParseError('M[1', 3, /expected '\]' to close 'M\['/);
  checkParseError('r1 < < 2', 5, /expected a value, found '<'/);
  checkParseError('{r1}', 0, /unexpected '\{'/);
  const res = evaluateText('r1 +* 2', fakeEnv());
  assert.deepEqual(res, { ok: false, error: 'a load needs its size: write *(u64 *)(addr), *(u8 *)(addr)... (column 5)', col: 4 });
});

test('the name s is not a signed operator unless one follows it', () => {
  const env: EvalEnv = { ...fakeEnv(), name: (n) => (n === 's' ? 2n : undefined) };
  checkValues([['s << 3', 16n], ['s<<3', 16n], ['s + 1', 3n], ['1 s<2', 1n], ['5 s/2', 2n]], env);
});

test('nesting is limited; long expressions are limited; neither overflows the stack', () => {
  const deep = (n: number) => `${'('.repeat(n)}1${')'.repeat(n)}`;
  assert.equal(value(deep(MAX_NESTING)), 1n);
  checkParseError(deep(MAX_NESTING + 1), MAX_NESTING, /nested more than 200 deep/);
  checkParseError(deep(100_000), MAX_NESTING, /nested more than 200 deep/);
  checkParseError(`${'-'.repeat(100_000)}1`, MAX_NESTING, /nested more than 200 deep/);
  checkParseError(`${'M['.repeat(5000)}0${']'.repeat(5000)}`, 2 * MAX_NESTING + 1, /nested more than 200 deep/);
  assert.equal(value(`${'1 + '.repeat(999)}1`), 1000n);
  const long = parseExpression(`${'1+'.repeat(50_000)}1`);
  assert.ok(!long.ok && /expression too long/.test(long.error));
});

test('interpolate replaces {expr} with decimal, {expr:x} with hex, and errors in place', () => {
  const env = fakeEnv({ 1: 42n, 2: MEM_BASE, 3: MAX });
  assert.equal(interpolate('r1={r1} hex={r1:x} byte={*(u8 *)(r2 + 1)} neg={(s64)r3}', env), 'r1=42 hex=0x2a byte=129 neg=-1');
  assert.equal(interpolate('bad {r1 /} ok', env), 'bad <error: expected a value, but the expression ends (column 5)> ok');
  assert.equal(interpolate('{r1 / 0}', env), '<error: division by zero: the right side of \'/\' is 0 (column 4)>');
  assert.equal(interpolate('{{literal}} {r1}}} {', env), '{literal} 42} {');
  assert.equal(interpolate('no braces', env), 'no braces');
  assert.equal(interpolate('{}', env), '<error: empty expression (column 1)>');
});

test('map queries: hex bytes or an integer key', () => {
  assert.deepEqual(parseMapQuery('map counters 0a000001'), { map: 'counters', key: Uint8Array.from([10, 0, 0, 1]) });
  assert.deepEqual(parseMapQuery('  map counters 0x0a 0x00 0x00 0x01 '), { map: 'counters', key: Uint8Array.from([10, 0, 0, 1]) });
  assert.deepEqual(parseMapQuery('map counters 0a,00,00,01'), { map: 'counters', key: Uint8Array.from([10, 0, 0, 1]) });
  assert.deepEqual(parseMapQuery('map counters 00000003'), { map: 'counters', key: Uint8Array.from([0, 0, 0, 3]) });
  assert.deepEqual(parseMapQuery('map counters 3'), { map: 'counters', key: 3n });
  assert.deepEqual(parseMapQuery('map counters 0x0a000001'), { map: 'counters', key: 0x0a000001n });
  assert.deepEqual(parseMapQuery('map counters 1 + 2'), { map: 'counters', key: 3n });
  assert.deepEqual(parseMapQuery('map .bss 0'), { map: '.bss', key: 0n });
  assert.equal(parseMapQuery('map counters r7'), undefined);
  assert.deepEqual(parseMapQuery('map counters r7', fakeEnv({ 7: 2n })), { map: 'counters', key: 2n });
  assert.equal(parseMapQuery('r1 + 1'), undefined);
  assert.equal(parseMapQuery('mapx counters 1'), undefined);
  assert.equal(checkMapQuery('r1'), undefined);
  assert.deepEqual(checkMapQuery('map'), { ok: false, error: 'expected: map NAME KEY (KEY is hex bytes or an integer)' });
  assert.deepEqual(checkMapQuery('map counters'), { ok: false, error: "expected a key after 'map counters' (hex bytes or an integer)" });
  assert.deepEqual(checkMapQuery('map counters 1 +'), { ok: false, error: 'key: expected a value, but the expression ends (column 4 of the key)' });
  assert.deepEqual(checkMapQuery('map counters r7'), { ok: false, error: 'key: registers, names and loads need a stopped program' });
});

test('keyBytes lays integers out little-endian in the key size and checks sizes', () => {
  assert.deepEqual(keyBytes(1n, 4), Uint8Array.from([1, 0, 0, 0]));
  assert.deepEqual(keyBytes(0x0102n, 2), Uint8Array.from([2, 1]));
  assert.deepEqual(keyBytes(MAX, 8), new Uint8Array(8).fill(0xff));
  assert.deepEqual(keyBytes(1n, 12), Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
  assert.equal(keyBytes(256n, 1), "256 does not fit in the map's 1-byte key");
  assert.equal(keyBytes(Uint8Array.from([1, 2]), 4), "the key has 2 bytes but the map's keys have 4");
  assert.deepEqual(keyBytes(Uint8Array.from([1, 2]), 2), Uint8Array.from([1, 2]));
});

test('mapQueryText gives back the key it names', () => {
  for (const key of [[0x10], [1, 0, 0, 0], [0x10, 0, 0, 0], [0xab, 0xcd, 0xef]]) {
    const q = parseMapQuery(mapQueryText('m', Uint8Array.from(key)));
    assert.ok(q, String(key));
    assert.deepEqual(keyBytes(q.key, key.length), Uint8Array.from(key));
  }
});

test('fuzz: random text, token soups and mutated expressions never throw and always end', { timeout: 60_000 }, () => {
  const r = rng(7);
  const chars = '0123456789abcdefxrwsuAXM_()[]*+-/%<>=!&|^~{}:., \t\n@#"\'\\$';
  const tokens = ['r1', 'w2', 'r10', 'r11', 'fp', 'A', 'M', 's', 'u8', 'u16', 's32', 'u64', '0', '1', '0xff', '0b1', '-1',
    '(', ')', '[', ']', '*', '*(u8 *)', '*(s16 *)', '(u32)', '(s8)', '+', '-', '/', '%', 's/', 's%', '<<', '>>', 's>>',
    '<', '<=', 's<', 's>=', '==', '!=', '&', '^', '|', '&&', '||', '!', '~', ' '];
  const env = fakeEnv({ 1: 1n, 2: MEM_BASE, 3: MAX });
  const pick = <T>(xs: readonly T[]): T => xs[randInt(r, 0, xs.length - 1)];
  let parsed = 0, evaluated = 0;
  for (let n = 0; n < 9000; n++) {
    let text: string;
    switch (n % 3) {
      case 0: text = Array.from({ length: randInt(r, 0, 40) }, () => pick([...chars])).join(''); break;
      case 1: text = Array.from({ length: randInt(r, 1, 30) }, () => pick(tokens)).join(r() < 0.5 ? ' ' : ''); break;
      default: text = mutate(randomExpr(r, 4), r);
    }
    const p = parseExpression(text);
    if (p.ok) {
      parsed++;
      const v = evaluate(p.expr, env);
      if (v.ok) { evaluated++; assert.ok(v.value >= 0n && v.value <= MAX, text); }
      else assert.ok(v.error.length > 0 && !v.error.startsWith('internal error'), `${text}: ${v.error}`);
    } else {
      assert.ok(p.col >= 0 && p.col <= text.length, `${text}: col ${p.col}`);
      assert.ok(!p.error.startsWith('internal error'), `${text}: ${p.error}`);
    }
    interpolate(`{${text}}`, env);
    checkMapQuery(`map m ${text}`, env);
  }
  // Enough of the input is well-formed for evaluation to be exercised too.
  assert.ok(parsed > 2000, `only ${parsed} parsed`);
  assert.ok(evaluated > 1000, `only ${evaluated} evaluated`);
});

/** A random well-formed expression of at most `depth` levels. */
function randomExpr(r: () => number, depth: number): string {
  const leaves = ['r1', 'w3', 'r2', 'fp', 'A', 'M[2]', '0', '1', '7', '0xffffffff', '0b101', '18446744073709551615'];
  const binary = ['+', '-', '*', '/', '%', 's/', 's%', '<<', '>>', 's>>', '<', '<=', '>', '>=', 's<', 's<=', 's>', 's>=', '==', '!=', '&', '^', '|', '&&', '||'];
  const leaf = () => leaves[randInt(r, 0, leaves.length - 1)];
  if (depth === 0 || r() < 0.2) return leaf();
  const sub = () => randomExpr(r, depth - 1);
  switch (randInt(r, 0, 5)) {
    case 0: return `${['-', '~', '!'][randInt(r, 0, 2)]}${sub()}`;
    case 1: return `(${['u8', 's16', 'u32', 's64'][randInt(r, 0, 3)]})${sub()}`;
    case 2: return `*(${['u8', 'u16', 's32', 'u64'][randInt(r, 0, 3)]} *)(r2 + ${randInt(r, 0, 70)})`;
    case 3: return `(${sub()})`;
    default: return `${sub()} ${binary[randInt(r, 0, binary.length - 1)]} ${sub()}`;
  }
}

/** Half the time the text as it is, else with a character dropped, doubled or replaced. */
function mutate(text: string, r: () => number): string {
  if (r() < 0.5 || text.length === 0) return text;
  const at = randInt(r, 0, text.length - 1);
  switch (randInt(r, 0, 2)) {
    case 0: return text.slice(0, at) + text.slice(at + 1);
    case 1: return text.slice(0, at) + text[at] + text.slice(at);
    default: return text.slice(0, at) + '()*+<s'[randInt(r, 0, 5)] + text.slice(at + 1);
  }
}

test('an environment that throws gives an error, not an exception', () => {
  const env: EvalEnv = { reg: () => { throw new Error('boom'); }, read: () => 'none' };
  assert.deepEqual(evaluateText('r1', env), { ok: false, error: 'internal error: boom' });
});

test('on a real run: loads from the packet and the stack of xdp_drop_udp', () => {
  const { object, diagnostics } = assemble(readFileSync(join(REPO_ROOT, 'examples', 'xdp_drop_udp.bpf.s'), 'utf8'));
  assert.deepEqual(diagnostics, []);
  const packet = udpPacket();
  const { run } = createRun(object, listPrograms(object)[0], { progType: 'xdp', input: { packet } });
  assert.ok(run);
  const { vm } = run;
  for (let k = 0; k < 9; k++) vm.step(); // through r5 = *(u16 *)(r2 + 12)
  const env = machineEnv(vm);
  const at = (text: string) => value(text, env);
  assert.equal(at('*(u16 *)(r2 + 12)'), 0x0008n);
  assert.equal(at('*(u16 *)(r2 + 12) == r5 && r5 == 8'), 1n);
  assert.equal(at('*(u8 *)(r2 + 23)'), 17n);
  assert.equal(at('*(u32 *)(r2 + 26)'), 0x0100000an); // saddr 10.0.0.1 read little-endian
  assert.equal(at('r3 - r2'), BigInt(packet.length));
  assert.equal(at('r4 - r2'), 14n);
  assert.equal(at('r7'), 1n);
  const past = evaluateText('*(u8 *)r3', env);
  assert.ok(!past.ok);
  assert.match(past.error, /^cannot read \*\(u8 \*\)0x[0-9a-f]+: invalid read of 1 byte at 0x[0-9a-f]+: 0 bytes past the end of packet/);
  assert.equal(interpolate('proto={*(u8 *)(r2 + 23)} verdict={r6}', env), 'proto=17 verdict=2');

  while (vm.pc < 18) vm.step(); // *(u32 *)(r10 - 4) = w7 has run
  assert.equal(at('*(u32 *)(r10 - 4)'), 3n);
  assert.equal(at('*(u32 *)(fp - 4) == r7'), 1n);
});

/** Ethernet + IPv4 + UDP, 10.0.0.1 -> 10.0.0.2. */
function udpPacket(): Uint8Array {
  const p = new Uint8Array(14 + 20 + 8);
  p.set([0x08, 0x00], 12);
  p.set([0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  p.set([0x30, 0x39, 0x00, 0x35, 0, 8, 0, 0], 34);
  return p;
}
