/**
 * The printf helpers: trace_printk and trace_vprintk (kernel/trace/bpf_trace.c), and
 * snprintf (kernel/bpf/helpers.c). The formatting is format.ts; this module reads the
 * arguments out of registers and memory and puts the result where the kernel does.
 *
 * trace_printk and trace_vprintk format into a 1024-byte buffer (MAX_BPRINTF_BUF), emit it
 * as one bpf_trace_printk event, and return bstr_printf()'s result: the length of the whole
 * output, even when the buffer kept only its first 1023 bytes. The event is a C string, so
 * the line ends at the first NUL (a %c of 0). The run collects each event as one line of
 * Host.output.printk, without the "\n" that formats usually end with (trace_pipe prints
 * one event per line either way).
 *
 * snprintf writes into the program's buffer, at most str_size - 1 bytes and a NUL, and
 * returns the whole output's length plus one (the NUL), as bpf_snprintf() does.
 */

import type { HelperImpl, Machine } from '../../vm/machine';
import type { Host } from '../../vm/host';
import { argBytes, argU32, cString, EINVAL, errno, fault, halves, hostOf, isFault, tryBytes } from './common';
import { bprintfPrepare, bstrPrintf, PrepareIo } from './format';

/** MAX_BPRINTF_BUF: the trace_printk output buffer. */
const MAX_BPRINTF_BUF = 1024;
/** MAX_BPRINTF_VARARGS: at most 12 arguments to trace_vprintk and snprintf. */
const MAX_BPRINTF_VARARGS = 12;

/** bpf_trace_printk(fmt, fmt_size, arg1, arg2, arg3). */
export const tracePrintk: HelperImpl = (vm) => {
  const host = hostOf(vm, 'trace_printk');
  if (isFault(host)) return host;
  const fmt = argBytes(vm, 'trace_printk', 1, argU32(vm, 2), false);
  if (isFault(fmt)) return fmt;
  return printk(vm, host, fmt, [vm.arg(3), vm.arg(4), vm.arg(5)]);
};

/** bpf_trace_vprintk(fmt, fmt_size, args, data_len): up to 12 u64 arguments from memory. */
export const traceVprintk: HelperImpl = (vm) => {
  const host = hostOf(vm, 'trace_vprintk');
  if (isFault(host)) return host;
  const args = varargs(vm, 'trace_vprintk', 3, 4);
  if (typeof args === 'bigint' || isFault(args)) return args;
  const fmt = argBytes(vm, 'trace_vprintk', 1, argU32(vm, 2), false);
  if (isFault(fmt)) return fmt;
  return printk(vm, host, fmt, args);
};

/** bpf_snprintf(str, str_size, fmt, data, data_len). */
export const snprintf: HelperImpl = (vm) => {
  const args = varargs(vm, 'snprintf', 4, 5);
  if (typeof args === 'bigint' || isFault(args)) return args;
  // ARG_PTR_TO_CONST_STR: the verifier made sure the format is a NUL-terminated constant.
  const f = cString(vm, vm.lo[3], vm.hi[3], Infinity);
  if (!f || !f.complete) return fault('snprintf', 'R3 is not a NUL-terminated string');
  const fmt = new Uint8Array(f.bytes.length + 1);
  fmt.set(f.bytes);
  const bin = bprintfPrepare(fmt, args, memoryIo(vm));
  if (typeof bin === 'number') return errno(bin);
  const text = bstrPrintf(fmt, bin);
  const size = argU32(vm, 2);
  if (size > 0) {
    const dst = argBytes(vm, 'snprintf', 1, size, true);
    if (isFault(dst)) return dst;
    const n = Math.min(text.length, size - 1);
    dst.set(text.subarray(0, n));
    dst[n] = 0;
  }
  return BigInt(text.length + 1);
};

function printk(vm: Machine, host: Host, fmt: Uint8Array, args: bigint[]): bigint {
  const bin = bprintfPrepare(fmt, args, memoryIo(vm));
  if (typeof bin === 'number') return errno(bin);
  const text = bstrPrintf(fmt, bin);
  let line = text.subarray(0, MAX_BPRINTF_BUF - 1);
  const nul = line.indexOf(0);
  if (nul >= 0) line = line.subarray(0, nul);
  if (line.length > 0 && line[line.length - 1] === 0x0a) line = line.subarray(0, line.length - 1);
  const s = new TextDecoder('utf-8').decode(line);
  host.output.printk.push(s);
  host.emit?.({ kind: 'printk', pc: vm.pc - 1, helper: 'trace_printk', text: s });
  return BigInt(text.length);
}

/**
 * The u64 arguments of trace_vprintk and snprintf: data_len must be a multiple of 8, at
 * most 12 arguments, and data may be NULL only with data_len 0 (-EINVAL otherwise).
 */
function varargs(vm: Machine, helper: string, dataReg: number, lenReg: number): bigint[] | bigint | { fault: string } {
  const len = argU32(vm, lenReg);
  const isNull = vm.lo[dataReg] === 0 && vm.hi[dataReg] === 0;
  if (len % 8 !== 0 || len > MAX_BPRINTF_VARARGS * 8 || (len > 0 && isNull)) return errno(EINVAL);
  if (len === 0) return [];
  const bytes = argBytes(vm, helper, dataReg, len, false);
  if (isFault(bytes)) return bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: bigint[] = [];
  for (let k = 0; k < len; k += 8) out.push(view.getBigUint64(k, true));
  return out;
}

/** How the formatter reads strings and IP addresses: from the VM's memory; what cannot be read fails softly. */
function memoryIo(vm: Machine): PrepareIo {
  return {
    readString(addr, max) {
      const { lo, hi } = halves(addr);
      const s = cString(vm, lo, hi, max);
      if (!s) return undefined;
      if (s.complete) return s.bytes;
      // No NUL in the first `max` bytes: strncpy_from_*_nofault() keeps max - 1 of them.
      return s.readable === max ? s.bytes.subarray(0, max - 1) : undefined;
    },
    readMem(addr, len) {
      const { lo, hi } = halves(addr);
      return tryBytes(vm, lo, hi, len)?.slice();
    },
  };
}
