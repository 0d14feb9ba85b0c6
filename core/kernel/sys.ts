/**
 * The one place that calls bpf(2): koffi (a foreign-function interface) loaded on first use,
 * native memory for the structures and buffers the kernel reads and writes, and the probe
 * that says whether the bridge works on this machine.
 *
 * Invariants:
 * - Importing this module never fails and does nothing: koffi, libc and node:fs are
 *   required inside functions, on Linux only, and a failure becomes a reason string.
 * - Every buffer whose address goes into a structure lives in memory from koffi.alloc(),
 *   which does not move, and is freed when the `withScratch` callback returns; nothing
 *   native outlives a call.
 * - errno is read immediately after the call, before any other native call can change it.
 */

import { HOST_LITTLE_ENDIAN, BPF_MAP_CREATE, MAP_CREATE, StructView } from './attr';
import { errnoName } from './errno';

type Koffi = typeof import('koffi');

/** What every bridge function answers when the kernel cannot be reached. */
export interface Unavailable {
  unavailable: string;
}

/** A bpf(2) failure: the errno, its name (`EACCES`), and a message naming the command. */
export interface KernelError {
  errno: number;
  errnoName: string;
  message: string;
}

/** bpf(2)'s syscall number per architecture (arch/<arch>/.../syscall tables; 280 is asm-generic). */
const BPF_SYSCALL: Partial<Record<string, number>> = {
  x64: 321, ia32: 357, arm64: 280, arm: 386, riscv64: 280, loong64: 280, ppc64: 361, s390x: 351,
};

interface Bridge {
  koffi: Koffi;
  syscall: (...args: unknown[]) => number | bigint;
  close: (fd: number) => number;
  nr: number;
}

let bridge: Bridge | Unavailable | undefined;
let probe: { ok: true } | { ok: false; reason: string } | undefined;

/** Loads koffi and libc's syscall() once; the reason when that cannot be done here. */
function loadBridge(): Bridge | Unavailable {
  if (bridge) return bridge;
  const nr = BPF_SYSCALL[process.arch];
  if (process.platform !== 'linux') bridge = { unavailable: `bpf(2) exists only on Linux, not ${process.platform}` };
  else if (nr === undefined) bridge = { unavailable: `no bpf(2) syscall number known for ${process.arch}` };
  else if (!HOST_LITTLE_ENDIAN) bridge = { unavailable: 'big-endian hosts are not supported' };
  else {
    try {
      // Lazily, so that core/kernel imports anywhere; koffi ships its native binary prebuilt.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const koffi = require('koffi') as Koffi;
      const libc = koffi.load('libc.so.6');
      // syscall(2) is variadic: each extra argument is passed with its C type.
      const syscall = libc.func('long syscall(long number, ...)') as (...args: unknown[]) => number | bigint;
      const close = libc.func('int close(int fd)') as (fd: number) => number;
      bridge = { koffi, syscall, close, nr };
    } catch (e) {
      bridge = { unavailable: `cannot load koffi (the FFI that reaches bpf(2)): ${(e as Error).message}` };
    }
  }
  return bridge;
}

/**
 * Whether bpf(2) works here: koffi loads, and creating a one-element array map succeeds.
 * EPERM (no CAP_BPF; unprivileged bpf is off) and ENOSYS (no bpf(2)) say no. Cached.
 */
export function kernelAvailable(): { ok: true } | { ok: false; reason: string } {
  if (probe) return probe;
  const b = loadBridge();
  if ('unavailable' in b) return (probe = { ok: false, reason: b.unavailable });
  const res = withScratch((s) => {
    const attr = s.alloc(MAP_CREATE.size);
    const f = MAP_CREATE.fields;
    attr.u32(f.map_type, 2); // BPF_MAP_TYPE_ARRAY
    attr.u32(f.key_size, 4);
    attr.u32(f.value_size, 4);
    attr.u32(f.max_entries, 1);
    return sysBpf(BPF_MAP_CREATE, attr);
  });
  if (res.ret >= 0) {
    closeFd(res.ret);
    return (probe = { ok: true });
  }
  const why = res.errno === 1 ? 'not permitted (EPERM): loading BPF needs root or CAP_BPF' : res.errno === 38 ? 'not implemented (ENOSYS)' : errnoName(res.errno);
  return (probe = { ok: false, reason: `bpf(2) ${why}` });
}

/** The reason the bridge cannot be used, or undefined when it can. */
export function unavailable(): Unavailable | undefined {
  const p = kernelAvailable();
  return p.ok ? undefined : { unavailable: p.reason };
}

/** A block of native memory: its address for the kernel, and a view for us. */
export interface Native extends StructView {
  /** The address, for a pointer member of a structure. */
  readonly addr: bigint;
  /** The koffi pointer, for a direct argument. */
  readonly ptr: unknown;
}

export interface Scratch {
  /** Zeroed native memory of `n` bytes (at least one byte is allocated). */
  alloc(n: number): Native;
  /** Native memory holding a copy of `data`. */
  copy(data: Uint8Array): Native;
}

/** Runs `fn` with an allocator of native memory, and frees all of it afterwards. */
export function withScratch<T>(fn: (s: Scratch) => T): T {
  const b = loadBridge();
  if ('unavailable' in b) throw new Error(b.unavailable);
  const { koffi } = b;
  const owned: unknown[] = [];
  const alloc = (n: number): Native => {
    const len = Math.max(1, n);
    const ptr = koffi.alloc('uint8_t', len);
    owned.push(ptr);
    const bytes = new Uint8Array(koffi.view(ptr, len));
    bytes.fill(0);
    const sv = new StructView(bytes) as Native;
    return Object.assign(sv, { addr: koffi.address(ptr), ptr });
  };
  const s: Scratch = {
    alloc,
    copy(data) {
      const m = alloc(data.length);
      m.bytes.set(data);
      return m;
    },
  };
  try {
    return fn(s);
  } finally {
    for (const p of owned) koffi.free(p);
  }
}

/** bpf(cmd, attr, size): the return value, and errno when it is negative. */
export function sysBpf(cmd: number, attr: Native, size = attr.bytes.length): { ret: number; errno: number } {
  const b = loadBridge();
  if ('unavailable' in b) throw new Error(b.unavailable);
  const ret = Number(b.syscall(b.nr, 'int', cmd, 'void *', attr.ptr, 'unsigned int', size));
  const errno = ret < 0 ? b.koffi.errno() : 0;
  return { ret, errno };
}

/** A KernelError for a failed command: `BPF_PROG_LOAD: EACCES (Permission denied)`. */
export function kernelError(command: string, errno: number, detail?: string): KernelError {
  const name = errnoName(errno);
  return { errno, errnoName: name, message: `${command}: ${name}${detail ? ` (${detail})` : ''}` };
}

/** Closes a map or program file descriptor; false when close(2) fails (e.g. EBADF). */
export function closeFd(fd: number): boolean {
  const b = loadBridge();
  if ('unavailable' in b) return false;
  return b.close(fd) === 0;
}

let cpuCount: number | undefined;

/**
 * The number of possible CPUs: how many values a per-CPU map holds for each key. It is the
 * number of CPUs in /sys/devices/system/cpu/possible (e.g. `0-3` is 4), the kernel's
 * num_possible_cpus(), which sizes per-CPU lookups and updates.
 */
export function possibleCpus(): number {
  if (cpuCount !== undefined) return cpuCount;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('node:fs') as typeof import('node:fs');
  const text = fs.readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
  let n = 0;
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`cannot read /sys/devices/system/cpu/possible: '${text}'`);
    n += (m[2] === undefined ? 0 : Number(m[2]) - Number(m[1])) + 1;
  }
  return (cpuCount = n);
}
