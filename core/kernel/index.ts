/**
 * core/kernel: the optional bridge to the running Linux kernel's bpf(2), the one part of
 * core that makes system calls (DESIGN.md, Layers). It asks the real verifier for its
 * verdict and log, and runs programs with BPF_PROG_TEST_RUN, so that our verifier and VM
 * can be compared with the kernel.
 *
 * Invariants: importing it never fails and loads nothing; koffi (the FFI) is loaded on the
 * first call, on Linux only. Every function answers plain data — a result, a KernelError
 * with the errno and its name, or `{ unavailable: reason }` when koffi cannot load, the
 * platform is not Linux, or bpf(2) answers EPERM or ENOSYS (kernelAvailable() says which).
 */

export { kernelAvailable, possibleCpus, closeFd, KernelError, Unavailable } from './sys';
export { createMap, mapUpdate, mapLookup, mapDelete, mapGetNextKey, mapDump, mapInfo, MapCreateDef, MapEntry, MapValue, MapInfo, ValueShape } from './maps';
export { loadProgram, patchMapFds, testRun, progInfo, LoadOptions, LoadResult, TestRunOptions, TestRunResult, ProgInfo } from './prog';
export { errnoName, errnoMessage, ERRNOS } from './errno';
export { kernelLogMessage } from './message';
export { loadObjectProgram, ObjectLoad, ObjectLoadOptions } from './object';
