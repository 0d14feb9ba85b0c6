/**
 * trace_printk, trace_vprintk and snprintf: the output as the kernel's bpf_bprintf_prepare()
 * + bstr_printf() render it, the return value (the full length), the line collected, and
 * the formats the kernel refuses (-EINVAL).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EINVAL, neg, runAsm, stackBytes, stackString } from './harness';

const u64 = (v: bigint | number) => BigInt.asUintN(64, BigInt(v));

/**
 * trace_printk(fmt, size, args...) with the format on the stack at r10-128 (NUL included
 * in the size unless `noNul`), and extra setup (e.g. strings) at r10-256.
 */
function printk(fmt: string, args: (bigint | number | 'str' | 'ip')[] = [], opts: { noNul?: boolean; extra?: string } = {}) {
  const size = new TextEncoder().encode(fmt).length + (opts.noNul ? 0 : 1);
  const regs = args.map((a, k) => {
    const r = `r${3 + k}`;
    if (a === 'str' || a === 'ip') return `${r} = r10\n${r} += -256`;
    return `${r} = 0x${u64(a).toString(16)} ll`;
  });
  const ran = runAsm(`
${opts.extra ?? ''}
${opts.noNul ? stackBytes(fmt, 128) : stackString(fmt, 128)}
${regs.join('\n')}
  r1 = r10
  r1 += -128
  r2 = ${size}
  call bpf_trace_printk
  exit`);
  assert.equal(ran.stop.reason, 'exit', ran.stop.message);
  return { ret: ran.r0!, lines: ran.printk };
}

function line(fmt: string, ...args: (bigint | number)[]): string {
  const r = printk(fmt, args);
  assert.equal(r.lines.length, 1, `${fmt}: ${r.ret}`);
  return r.lines[0];
}

test('integers: %d %i sign-extend an int, %u %x %X take it unsigned, l and ll take 64 bits', () => {
  assert.equal(line('%d', -5), '-5');
  assert.equal(line('%i', 0x1_0000_0005n), '5', 'an int conversion keeps the low 32 bits');
  assert.equal(line('%u', -1), '4294967295');
  assert.equal(line('%x %X', 0xbeef, 0xbeef), 'beef BEEF');
  assert.equal(line('%lx', 0xdeadbeefcafen), 'deadbeefcafe');
  assert.equal(line('%llx', -1), 'ffffffffffffffff');
  assert.equal(line('%lld', -1), '-1');
  assert.equal(line('%llu', -1), '18446744073709551615');
  assert.equal(line('%ld %lu', -2, 2), '-2 2');
});

test('width and flags: spaces, zeros after the sign, left-justify, + and space', () => {
  assert.equal(line('[%5d]', 42), '[   42]');
  assert.equal(line('[%-5d]', 42), '[42   ]');
  assert.equal(line('[%05d]', -42), '[-0042]');
  assert.equal(line('[%+d] [% d]', 42, 42), '[+42] [ 42]');
  assert.equal(line('[%08x]', 0xbeef), '[0000beef]');
  assert.equal(line('[%-08x]', 0xbeef), '[beef    ]', '- overrides 0');
  assert.equal(line('[%2d]', 100), '[100]', 'a width never truncates');
  assert.equal(line('[%+u]', 7), '[7]', '+ means nothing to an unsigned conversion');
});

test('%c, %%, and literal text', () => {
  assert.equal(line('%c%c', 0x41, 0x142), 'AB', '%c takes the low byte');
  assert.equal(line('[%3c]', 0x7a), '[  z]');
  assert.equal(line('100%% sure'), '100% sure');
});

test('%s reads a string from memory; NULL or an unreadable address prints nothing', () => {
  const extra = stackString('world', 256);
  assert.deepEqual(printk('hello %s!', ['str'], { extra }).lines, ['hello world!']);
  assert.deepEqual(printk('[%8s]', ['str'], { extra }).lines, ['[   world]']);
  assert.deepEqual(printk('[%-8s]', ['str'], { extra }).lines, ['[world   ]']);
  assert.equal(line('[%s]', 0), '[]');
  assert.equal(line('[%s]', 0xffff888000001000n), '[]');
});

test('%p, %px and %pK print 16 hex digits (the kernel hashes %p; we print the address)', () => {
  assert.equal(line('%p', 0x1234), '0000000000001234');
  assert.equal(line('%px', 0xffff888012345678n), 'ffff888012345678');
  assert.equal(line('%pK', 0), '0000000000000000');
  assert.equal(line('%ps', 0xabc), '0xabc', 'no symbol for the address');
});

test('%pI4, %pi4, %pI6 and %pi6 format the address the argument points at', () => {
  const v4 = stackBytes([10, 0, 0, 1], 256);
  assert.deepEqual(printk('%pI4', ['ip'], { extra: v4 }).lines, ['10.0.0.1']);
  assert.deepEqual(printk('%pi4', ['ip'], { extra: v4 }).lines, ['010.000.000.001']);
  const v6 = stackBytes([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 256);
  assert.deepEqual(printk('%pI6', ['ip'], { extra: v6 }).lines, ['2001:0db8:0000:0000:0000:0000:0000:0001']);
  assert.deepEqual(printk('%pi6', ['ip'], { extra: v6 }).lines, ['20010db8000000000000000000000001']);
  assert.equal(line('%pI4', 0), '0.0.0.0', 'an unreadable address prints as zeros');
});

test('the return value is the output\'s length; the line drops the final newline', () => {
  const r = printk('hello %d\n', [42]);
  assert.equal(r.ret, 9n);
  assert.deepEqual(r.lines, ['hello 42']);
});

test('output past 1023 bytes is cut in the line but counted in the return value', () => {
  const r = printk('%1100d', [7]);
  assert.equal(r.ret, 1100n);
  assert.equal(r.lines[0].length, 1023);
});

test('formats the kernel refuses give -EINVAL and print nothing', () => {
  const einval = (fmt: string, args: (bigint | number)[] = [], opts: { noNul?: boolean } = {}) => {
    const r = printk(fmt, args, opts);
    assert.equal(r.ret, neg(EINVAL), fmt);
    assert.deepEqual(r.lines, [], fmt);
  };
  einval('%d %d %d %d', [1, 2, 3, 4]); // more conversions than trace_printk's three arguments
  einval('%.2d', [1]); // no precision
  einval('%#x', [1]); // no '#'
  einval('%q', [1]);
  einval('%hd', [1]);
  einval('%sx', [0]); // %s must be followed by a space, punctuation or the end
  einval('tab\x01', []); // not printable
  einval('50%', []); // a lone % at the end
  einval('no nul', [], { noNul: true }); // no NUL within fmt_size
});

test('trace_vprintk takes its arguments from an array (up to 12); a bad data_len is -EINVAL', () => {
  const args = [1, 2, 3, 4, 5].map((v, k) => `*(u64 *)(r10 - ${48 - 8 * k}) = ${v}`).join('\n');
  const vprintk = (len: number) => runAsm(`
${args}
${stackString('%d %d %d %d %d', 128)}
  r1 = r10
  r1 += -128
  r2 = 15
  r3 = r10
  r3 += -48
  r4 = ${len}
  call bpf_trace_vprintk
  exit`);
  const ok = vprintk(40);
  assert.equal(ok.r0, 9n);
  assert.deepEqual(ok.printk, ['1 2 3 4 5']);
  assert.equal(vprintk(36).r0, neg(EINVAL));
  assert.equal(vprintk(32).r0, neg(EINVAL), 'five conversions, four arguments');
});

test('snprintf writes at most str_size - 1 bytes and a NUL, and returns the full length plus one', () => {
  const snprintf = (size: number) => runAsm(`
  *(u64 *)(r10 - 48) = 3
  *(u64 *)(r10 - 40) = -4
  r1 = -1
  *(u64 *)(r10 - 16) = r1
  *(u64 *)(r10 - 8) = r1
${stackString('%d/%d', 128)}
  r1 = r10
  r1 += -16
  r2 = ${size}
  r3 = r10
  r3 += -128
  r4 = r10
  r4 += -48
  r5 = 16
  call bpf_snprintf
  exit`);
  const full = snprintf(16);
  assert.equal(full.r0, 5n);
  const stack = () => full.run.vm.callStack()[0].stack.bytes;
  assert.deepEqual([...stack().subarray(512 - 16, 512 - 10)], [0x33, 0x2f, 0x2d, 0x34, 0, 0xff]);
  const cut = snprintf(3);
  assert.equal(cut.r0, 5n);
  assert.deepEqual([...cut.run.vm.callStack()[0].stack.bytes.subarray(512 - 16, 512 - 12)], [0x33, 0x2f, 0, 0xff]);
  assert.deepEqual(full.printk, [], 'snprintf prints nothing');
});
