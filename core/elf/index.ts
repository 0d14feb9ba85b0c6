/**
 * core/elf: BPF ELF objects (clang -target bpf, llvm-mc -triple bpf) read into a
 * `BpfObject` and written back out.
 *
 * Invariants: no I/O (callers hand in and take out bytes); the reader never throws on
 * input, however broken (problems are diagnostics with code 'elf' or 'btf', and the object
 * holds what could be read); only ELF64 little-endian EM_BPF relocatable objects are read;
 * the writer's output is what clang would emit for the same references, so llvm-objdump
 * reads it and libbpf loads it.
 */

export { readElf, ReadResult, sectionRole } from './read';
export { writeElf, writeElfChecked, WriteResult } from './write';
