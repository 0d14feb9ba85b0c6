/**
 * Programs in the running kernel: BPF_PROG_LOAD with the verifier's log, BPF_PROG_TEST_RUN,
 * and BPF_OBJ_GET_INFO_BY_FD for a program.
 *
 * Invariants: the log is returned whole. Since Linux 6.4 a log that does not fit makes the
 * load fail with ENOSPC (keeping only the log's tail) and reports in log_true_size how much
 * was needed, so loadProgram() loads again with a buffer that size. Map references must
 * already hold fds (patchMapFds() turns our raw encoding into them). Every result is plain
 * data; a file descriptor belongs to the caller, who closes it with closeFd().
 */

import { Insn, LDDW_CODE, encodeSlots } from '../isa/insn';
import { attachTypeByName, progTypeByName } from '../progtypes/table';
import {
  BPF_PROG_LOAD, BPF_PROG_TEST_RUN, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE,
  PROG_INFO, PROG_LOAD, PROG_TEST_RUN, objName,
} from './attr';
import { KernelError, Unavailable, kernelError, sysBpf, unavailable, withScratch } from './sys';
import { objInfo } from './info';

export interface LoadOptions {
  /** A prog_type number, or a name progTypeByName() knows (`xdp`, `socket`, `BPF_PROG_TYPE_XDP`). */
  progType: number | string;
  /** expected_attach_type: a number, or a name attachTypeByName() knows (`cgroup_inet4_connect`). */
  expectedAttachType?: number | string;
  /** The slots, map references already patched to fds; or their bytes. */
  insns: readonly Insn[] | Uint8Array;
  license: string;
  /** log_level: 1 (default), 2 (every state), | 4 (BPF_LOG_STATS: adds the verification time); 0 for no log. */
  logLevel?: number;
  /** The first log buffer's size in bytes (default 1 MiB); it grows when the log does not fit. */
  logSize?: number;
  /** prog_flags (BPF_F_STRICT_ALIGNMENT = 1, BPF_F_ANY_ALIGNMENT = 2, BPF_F_TEST_RND_HI32 = 4...). */
  progFlags?: number;
  /** fd_array: the fds that BPF_PSEUDO_MAP_IDX references (src=5, 6) index. */
  fdArray?: readonly number[];
  /** prog_name; characters the kernel refuses are dropped, and it is cut to 15. */
  name?: string;
}

export type LoadResult =
  | { fd: number; log: string; verificationTimeNs?: number }
  | (KernelError & { log: string })
  | Unavailable;

export interface TestRunOptions {
  progFd: number;
  /** data_in: the packet. */
  dataIn?: Uint8Array;
  /** data_size_out; by default room for the packet grown by 64 KiB (xdp_adjust_head/tail). */
  dataOutSize?: number;
  /** ctx_in: the context (__sk_buff, xdp_md...), for the types that take one. */
  ctxIn?: Uint8Array;
  /** ctx_size_out; by default the size of ctxIn (0 when none: no context is copied out). */
  ctxOutSize?: number;
  /** How many times to run (the kernel's repeat; 0 counts as 1). */
  repeat?: number;
  /** BPF_F_TEST_RUN_ON_CPU = 1, BPF_F_TEST_XDP_LIVE_FRAMES = 2, BPF_F_TEST_SKB_CHECKSUM_COMPLETE = 4. */
  flags?: number;
  cpu?: number;
}

export interface TestRunResult {
  /** The program's return value as the kernel reports it: r0's low 32 bits, unsigned. */
  retval: number;
  /** The packet after the run (data_size_out bytes). */
  dataOut: Uint8Array;
  /** The context after the run (ctx_size_out bytes), when one was asked for. */
  ctxOut: Uint8Array;
  /** The kernel's average time per run, in nanoseconds. */
  durationNs: number;
}

export interface ProgInfo {
  type: number;
  id: number;
  /** The program's tag (a hash of its instructions), as 16 hex digits. */
  tag: string;
  name: string;
  jitedProgLen: number;
  xlatedProgLen: number;
  /** verified_insns: the instructions the verifier processed (its `processed N insns`). */
  verifiedInsns: number;
  nrMapIds: number;
  runTimeNs: bigint;
  runCnt: bigint;
}

const DEFAULT_LOG_SIZE = 1 << 20;
/** The kernel refuses log_size above UINT_MAX >> 2 (bpf_vlog_init()). */
const MAX_LOG_SIZE = 0x3fffffff;
const ENOSPC = 28;

/**
 * A copy of the slots with our raw map encoding turned into what BPF_PROG_LOAD reads: an
 * lddw with src=1 (BPF_PSEUDO_MAP_FD) or src=2 (BPF_PSEUDO_MAP_VALUE) and imm = a map's
 * declaration index gets imm = that map's fd (core/asm/raw.ts). An index with no fd gets
 * imm = -1, which the kernel refuses with EBADF, rather than some unrelated open fd.
 */
export function patchMapFds(insns: readonly Insn[], mapFdByIndex: readonly number[]): Insn[] {
  const out = insns.map((i) => ({ ...i }));
  for (let k = 0; k < out.length; k++) {
    const i = out[k];
    if (i.code !== LDDW_CODE) continue;
    if (i.src === BPF_PSEUDO_MAP_FD || i.src === BPF_PSEUDO_MAP_VALUE) i.imm = mapFdByIndex[i.imm] ?? -1;
    k++; // The second slot of the lddw (for map_value: the offset into the value).
  }
  return out;
}

/** BPF_PROG_LOAD, with the verifier's whole log. */
export function loadProgram(opts: LoadOptions): LoadResult {
  const down = unavailable();
  if (down) return down;
  const progType = typeof opts.progType === 'number' ? opts.progType : progTypeByName(opts.progType)?.id;
  if (progType === undefined) return { ...invalid(`unknown program type '${opts.progType}'`), log: '' };
  const attach = opts.expectedAttachType;
  const attachType = attach === undefined ? 0 : typeof attach === 'number' ? attach : attachTypeByName(attach)?.id;
  if (attachType === undefined) return { ...invalid(`unknown attach type '${attach}'`), log: '' };
  const code = opts.insns instanceof Uint8Array ? opts.insns : encodeSlots(opts.insns);
  const logLevel = opts.logLevel ?? 1;

  let logSize = logLevel ? Math.min(Math.max(opts.logSize ?? DEFAULT_LOG_SIZE, 128), MAX_LOG_SIZE) : 0;
  for (;;) {
    const res = withScratch((s) => {
      const attr = s.alloc(PROG_LOAD.size);
      const f = PROG_LOAD.fields;
      const log = s.alloc(logSize);
      attr.u32(f.prog_type, progType);
      attr.u32(f.insn_cnt, Math.floor(code.length / 8));
      attr.u64(f.insns, s.copy(code).addr);
      attr.u64(f.license, s.copy(new TextEncoder().encode(opts.license + '\0')).addr);
      attr.u32(f.log_level, logLevel);
      if (logSize) {
        attr.u32(f.log_size, logSize);
        attr.u64(f.log_buf, log.addr);
      }
      attr.u32(f.prog_flags, opts.progFlags ?? 0);
      attr.name(f.prog_name, objName(opts.name));
      attr.u32(f.expected_attach_type, attachType);
      if (opts.fdArray?.length) {
        const fds = s.alloc(opts.fdArray.length * 4);
        opts.fdArray.forEach((fd, k) => fds.u32(k * 4, fd));
        attr.u64(f.fd_array, fds.addr);
      }
      const r = sysBpf(BPF_PROG_LOAD, attr);
      return { ...r, log: logSize ? cText(log.bytes) : '', trueSize: attr.u32(f.log_true_size) };
    });
    if (res.ret < 0 && res.errno === ENOSPC && logSize > 0 && logSize < MAX_LOG_SIZE) {
      // log_true_size counts the closing NUL (3423 bytes of text gave 3424 on 6.18).
      logSize = Math.min(Math.max(res.trueSize, logSize * 4), MAX_LOG_SIZE);
      continue;
    }
    if (res.ret < 0) return { ...kernelError('BPF_PROG_LOAD', res.errno), log: res.log };
    const usec = /^verification time (\d+) usec$/m.exec(res.log);
    return usec ? { fd: res.ret, log: res.log, verificationTimeNs: Number(usec[1]) * 1000 } : { fd: res.ret, log: res.log };
  }
}

/** BPF_PROG_TEST_RUN. */
export function testRun(opts: TestRunOptions): TestRunResult | KernelError | Unavailable {
  const down = unavailable();
  if (down) return down;
  return withScratch((s) => {
    const attr = s.alloc(PROG_TEST_RUN.size);
    const f = PROG_TEST_RUN.fields;
    attr.u32(f.prog_fd, opts.progFd);
    const dataOutSize = opts.dataOutSize ?? (opts.dataIn ? opts.dataIn.length + 65536 : 0);
    const ctxOutSize = opts.ctxOutSize ?? opts.ctxIn?.length ?? 0;
    if (opts.dataIn) {
      attr.u32(f.data_size_in, opts.dataIn.length);
      attr.u64(f.data_in, s.copy(opts.dataIn).addr);
    }
    const dataOut = s.alloc(dataOutSize);
    if (dataOutSize) {
      // data_size_out 0 would mean "no limit" to the kernel: always give the buffer's size.
      attr.u32(f.data_size_out, dataOutSize);
      attr.u64(f.data_out, dataOut.addr);
    }
    if (opts.ctxIn) {
      attr.u32(f.ctx_size_in, opts.ctxIn.length);
      attr.u64(f.ctx_in, s.copy(opts.ctxIn).addr);
    }
    const ctxOut = s.alloc(ctxOutSize);
    if (ctxOutSize) {
      attr.u32(f.ctx_size_out, ctxOutSize);
      attr.u64(f.ctx_out, ctxOut.addr);
    }
    attr.u32(f.repeat, opts.repeat ?? 1);
    attr.u32(f.flags, opts.flags ?? 0);
    attr.u32(f.cpu, opts.cpu ?? 0);
    const res = sysBpf(BPF_PROG_TEST_RUN, attr);
    if (res.ret !== 0) return kernelError('BPF_PROG_TEST_RUN', res.errno);
    const outLen = Math.min(attr.u32(f.data_size_out), dataOutSize);
    const ctxLen = Math.min(attr.u32(f.ctx_size_out), ctxOutSize);
    return {
      retval: attr.u32(f.retval),
      dataOut: dataOut.bytes.slice(0, outLen),
      ctxOut: ctxOut.bytes.slice(0, ctxLen),
      durationNs: attr.u32(f.duration),
    };
  });
}

/** BPF_OBJ_GET_INFO_BY_FD for a program (struct bpf_prog_info). */
export function progInfo(fd: number): ProgInfo | KernelError | Unavailable {
  const f = PROG_INFO.fields;
  return objInfo(fd, PROG_INFO.size, (info) => ({
    type: info.u32(f.type), id: info.u32(f.id), name: info.name(f.name),
    tag: Array.from(info.bytes.subarray(f.tag, f.tag + 8), (b) => b.toString(16).padStart(2, '0')).join(''),
    jitedProgLen: info.u32(f.jited_prog_len), xlatedProgLen: info.u32(f.xlated_prog_len),
    verifiedInsns: info.u32(f.verified_insns), nrMapIds: info.u32(f.nr_map_ids),
    runTimeNs: info.u64(f.run_time_ns), runCnt: info.u64(f.run_cnt),
  }));
}

function invalid(what: string): KernelError {
  return { ...kernelError('BPF_PROG_LOAD', 22), message: `BPF_PROG_LOAD: ${what}` };
}

/** The text of a NUL-terminated buffer. */
function cText(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}
