/**
 * The printf of trace_printk, trace_vprintk and snprintf, in the kernel's two steps:
 *
 * 1. `bprintfPrepare` mirrors bpf_bprintf_prepare() in kernel/bpf/helpers.c: it checks the
 *    format (printable ASCII only; at most as many conversions as arguments; only
 *    %d %i %u %x %X with optional l or ll, %c, %s, %p, %px, %pK, %ps, %pS, %pB, %pks,
 *    %pus, %pI4 %pi4 %pI6 %pi6, and %%; flags among "0+- " and a width, but no precision
 *    and no '#') and returns -EINVAL for anything else. It then packs the arguments as
 *    "bin args" into a 512-byte buffer (MAX_BPRINTF_BIN_ARGS): an int conversion keeps the
 *    low 32 bits, %s and %pks copy the string out of memory (a string that cannot be read
 *    becomes ""), %pI4 and %pB are formatted right there. A buffer that runs out is -ENOSPC.
 * 2. `bstrPrintf` mirrors bstr_printf() in lib/vsprintf.c over those bin args: the flags,
 *    the width (spaces, or zeros with '0' for numbers; strings and %c pad with spaces),
 *    sign-extension of %d of an int, and the quirk that the letters after %p are skipped.
 *    It returns the whole output; the callers cut it to their buffer as vsnprintf does
 *    while returning the full length.
 *
 * Where we depart: the kernel prints a plain %p (and %pK) as a hash of the address, to hide
 * it; the hash key is random per boot, so we print the address itself, as %px does. %ps,
 * %pS and %pB print "0x" and the address in hex, the kernel's output when the address has
 * no symbol (a VM address never has one).
 *
 * Pure functions over bytes; memory is reached through the `PrepareIo` the caller gives.
 */

import { EINVAL, ENOSPC } from '../../maps/uapi';

/** One argument as bpf_bprintf_prepare() leaves it in bin_args. */
export type BinArg =
  | { kind: 'u32'; value: number }
  | { kind: 'u64'; value: bigint }
  | { kind: 'char'; value: number }
  /** %s, %pks, %pus, and the conversions formatted while preparing (%pI4, %pB...). */
  | { kind: 'str'; bytes: Uint8Array };

export interface PrepareIo {
  /**
   * strncpy_from_*_nofault(): the string at an address, at most `max` bytes including its
   * NUL (a longer one is cut to max - 1 bytes), without the NUL; undefined when unreadable.
   */
  readString(addr: bigint, max: number): Uint8Array | undefined;
  /** copy_from_kernel_nofault(): `len` bytes at an address, or undefined. */
  readMem(addr: bigint, len: number): Uint8Array | undefined;
}

/** MAX_BPRINTF_BIN_ARGS. */
const BIN_ARGS_SIZE = 512;

const LEFT = 1, PLUS = 2, SPACE = 4, SPECIAL = 8, ZEROPAD = 16, SIGN = 32, SMALL = 64;

const CH = (s: string) => s.charCodeAt(0);
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isAlnum = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const isSpace = (c: number) => c === 0x20 || (c >= 0x09 && c <= 0x0d);
const isPunct = (c: number) => c > 0x20 && c < 0x7f && !isAlnum(c);
const isPrintOrSpace = (c: number) => (c >= 0x20 && c <= 0x7e) || (c >= 0x09 && c <= 0x0d);

/**
 * bpf_bprintf_prepare(fmt, fmt_size, args, num_args): the bin args, or a negative errno.
 * `fmt` is the fmt_size bytes the program passed; the format ends at its first NUL, and
 * there must be one.
 */
export function bprintfPrepare(fmt: Uint8Array, args: readonly bigint[], io: PrepareIo): BinArg[] | number {
  const end = fmt.indexOf(0);
  if (end < 0) return EINVAL;
  const at = (k: number) => (k < end ? fmt[k] : 0);
  const out: BinArg[] = [];
  let used = 0;
  const room = () => BIN_ARGS_SIZE - used;
  for (let i = 0; i < end; i++) {
    const c = fmt[i];
    if (!isPrintOrSpace(c)) return EINVAL;
    if (c !== CH('%')) continue;
    if (at(i + 1) === CH('%')) { i++; continue; }
    if (out.length >= args.length) return EINVAL;
    const arg = args[out.length];
    i++;
    while (at(i) === CH('0') || at(i) === CH('+') || at(i) === CH('-') || at(i) === CH(' ')) i++;
    if (at(i) >= CH('1') && at(i) <= CH('9')) { i++; while (isDigit(at(i))) i++; }

    let size = 4;
    if (at(i) === CH('p')) {
      size = 8;
      const n1 = at(i + 1);
      if ((n1 === CH('k') || n1 === CH('u')) && at(i + 2) === CH('s')) {
        i += 2;
        const s = takeString(arg, io, room());
        if (typeof s === 'number') return s;
        out.push(s.arg); used += s.used;
        continue;
      }
      if (n1 === 0 || isSpace(n1) || isPunct(n1) || n1 === CH('K') || n1 === CH('x') || n1 === CH('s') || n1 === CH('S')) {
        i++;
        used = align4(used);
        if (room() < size) return ENOSPC;
        out.push({ kind: 'u64', value: BigInt.asUintN(64, arg) }); used += size;
        continue;
      }
      if (n1 === CH('B')) {
        i++;
        const text = ascii(`0x${BigInt.asUintN(64, arg).toString(16)}`);
        out.push({ kind: 'str', bytes: text }); used = Math.min(BIN_ARGS_SIZE, used + text.length + 1);
        continue;
      }
      const n2 = at(i + 2);
      if ((n1 !== CH('i') && n1 !== CH('I')) || (n2 !== CH('4') && n2 !== CH('6'))) return EINVAL;
      i += 2;
      const ipLen = n2 === CH('4') ? 4 : 16;
      if (room() < ipLen) return ENOSPC;
      const ip = io.readMem(BigInt.asUintN(64, arg), ipLen) ?? new Uint8Array(ipLen);
      const text = ascii(formatIp(ip, n1 === CH('I')));
      out.push({ kind: 'str', bytes: text }); used = Math.min(BIN_ARGS_SIZE, used + text.length + 1);
      continue;
    }
    if (at(i) === CH('s')) {
      const n1 = at(i + 1);
      if (n1 !== 0 && !isSpace(n1) && !isPunct(n1)) return EINVAL;
      const s = takeString(arg, io, room());
      if (typeof s === 'number') return s;
      out.push(s.arg); used += s.used;
      continue;
    }
    if (at(i) === CH('c')) {
      if (room() === 0) return ENOSPC;
      out.push({ kind: 'char', value: Number(arg & 0xffn) }); used += 1;
      continue;
    }
    if (at(i) === CH('l')) { size = 8; i++; }
    if (at(i) === CH('l')) { size = 8; i++; }
    const t = at(i);
    if (t !== CH('i') && t !== CH('d') && t !== CH('u') && t !== CH('x') && t !== CH('X')) return EINVAL;
    used = align4(used);
    if (room() < size) return ENOSPC;
    out.push(size === 8 ? { kind: 'u64', value: BigInt.asUintN(64, arg) } : { kind: 'u32', value: Number(arg & 0xffffffffn) });
    used += size;
  }
  return out;
}

/**
 * bstr_printf(buf, size, fmt, bin_args) without the size: the whole output. `fmt` is the
 * format without its NUL (or with it: rendering stops there).
 */
export function bstrPrintf(fmt: Uint8Array, args: readonly BinArg[]): Uint8Array {
  const out: number[] = [];
  let next = 0;
  const take = (): BinArg => args[next++] ?? { kind: 'u64', value: 0n };
  const end = fmt.indexOf(0) < 0 ? fmt.length : fmt.indexOf(0);
  const at = (k: number) => (k < end ? fmt[k] : 0);
  let i = 0;
  while (i < end) {
    if (fmt[i] !== CH('%')) { out.push(fmt[i++]); continue; }
    i++;
    let flags = 0;
    for (;;) {
      const c = at(i);
      if (c === CH('-')) flags |= LEFT;
      else if (c === CH('+')) flags |= PLUS;
      else if (c === CH(' ')) flags |= SPACE;
      else if (c === CH('#')) flags |= SPECIAL;
      else if (c === CH('0')) flags |= ZEROPAD;
      else break;
      i++;
    }
    let width = -1;
    if (isDigit(at(i))) { width = 0; while (isDigit(at(i))) width = width * 10 + (fmt[i++] - 0x30); }
    let long = false;
    if (at(i) === CH('l')) { long = true; i++; if (at(i) === CH('l')) i++; }
    const conv = at(i);
    if (conv === 0) break;
    i++;
    switch (conv) {
      case CH('%'): out.push(CH('%')); break;
      case CH('c'): padded(out, [Number(argBits(take()) & 0xffn)], flags, width); break;
      case CH('s'): padded(out, strOf(take()), flags, width); break;
      case CH('p'): {
        const ext = at(i);
        const a = take();
        if (ext === CH('s') || ext === CH('S')) padded(out, [...ascii(`0x${argBits(a).toString(16)}`)], flags, width);
        else if (ext === CH('x') || ext === CH('K') || !isAlnum(ext)) pointerString(out, argBits(a), flags, width);
        else out.push(...strOf(a)); // formatted while preparing; the width does not apply
        while (isAlnum(at(i))) i++;
        break;
      }
      case CH('d'): case CH('i'): case CH('u'): case CH('x'): case CH('X'): {
        const bits = argBits(take());
        const signed = conv === CH('d') || conv === CH('i');
        const v = long ? (signed ? BigInt.asIntN(64, bits) : BigInt.asUintN(64, bits))
          : (signed ? BigInt.asIntN(32, bits) : BigInt.asUintN(32, bits));
        const base = conv === CH('x') || conv === CH('X') ? 16 : 10;
        number(out, v, base, flags | (signed ? SIGN : 0) | (conv === CH('x') ? SMALL : 0), width);
        break;
      }
      default:
        // FORMAT_TYPE_INVALID: bstr_printf stops; bpf_bprintf_prepare lets none through.
        return Uint8Array.from(out);
    }
  }
  return Uint8Array.from(out);
}

/** number() in lib/vsprintf.c, for bases 10 and 16 without precision or prefix. */
function number(out: number[], v: bigint, base: number, flags: number, width: number): void {
  if (flags & LEFT) flags &= ~ZEROPAD;
  let sign = '';
  let fw = width;
  if (flags & SIGN) {
    if (v < 0n) { sign = '-'; v = -v; fw--; }
    else if (flags & PLUS) { sign = '+'; fw--; }
    else if (flags & SPACE) { sign = ' '; fw--; }
  }
  let digits = v.toString(base);
  digits = flags & SMALL ? digits.toLowerCase() : digits.toUpperCase();
  const pad = Math.max(0, fw - digits.length);
  if (flags & LEFT) out.push(...ascii(sign + digits + ' '.repeat(pad)));
  else if (flags & ZEROPAD) out.push(...ascii(sign + '0'.repeat(pad) + digits));
  else out.push(...ascii(' '.repeat(pad) + sign + digits));
}

/** pointer_string(): hex, lower case, 16 digits zero-padded unless a width was given. */
function pointerString(out: number[], v: bigint, flags: number, width: number): void {
  if (width === -1) { width = 16; flags |= ZEROPAD; }
  number(out, BigInt.asUintN(64, v), 16, (flags & ~(SIGN | PLUS | SPACE)) | SMALL, width);
}

/** string() and the %c case: pad with spaces to the width, on the left unless '-'. */
function padded(out: number[], bytes: ArrayLike<number>, flags: number, width: number): void {
  const pad = Math.max(0, width - bytes.length);
  if (!(flags & LEFT)) for (let k = 0; k < pad; k++) out.push(0x20);
  for (let k = 0; k < bytes.length; k++) out.push(bytes[k]);
  if (flags & LEFT) for (let k = 0; k < pad; k++) out.push(0x20);
}

function argBits(a: BinArg): bigint {
  switch (a.kind) {
    case 'u32': return BigInt(a.value >>> 0);
    case 'u64': return a.value;
    case 'char': return BigInt(a.value);
    default: return 0n;
  }
}

function strOf(a: BinArg): Uint8Array {
  return a.kind === 'str' ? a.bytes : new Uint8Array(0);
}

/** The %s / %pks copy: the string cut to the room left, "" when unreadable; -ENOSPC when no room is left. */
function takeString(arg: bigint, io: PrepareIo, room: number): { arg: BinArg; used: number } | number {
  if (room === 0) return ENOSPC;
  const s = io.readString(BigInt.asUintN(64, arg), room);
  if (!s) return { arg: { kind: 'str', bytes: new Uint8Array(0) }, used: 1 };
  return { arg: { kind: 'str', bytes: s }, used: s.length + 1 };
}

/** %pI4 "1.2.3.4", %pi4 "001.002.003.004", %pI6 eight colon-separated groups, %pi6 32 hex digits. */
function formatIp(ip: Uint8Array, upper: boolean): string {
  if (ip.length === 4) return [...ip].map((b) => (upper ? String(b) : String(b).padStart(3, '0'))).join('.');
  const groups: string[] = [];
  for (let k = 0; k < 16; k += 2) groups.push(ip[k].toString(16).padStart(2, '0') + ip[k + 1].toString(16).padStart(2, '0'));
  return groups.join(upper ? ':' : '');
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let k = 0; k < s.length; k++) b[k] = s.charCodeAt(k) & 0xff;
  return b;
}
