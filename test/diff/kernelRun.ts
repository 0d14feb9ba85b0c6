/**
 * Running one object both ways — in the kernel through BPF_PROG_TEST_RUN and in our VM —
 * and comparing what came out: the return value, the packet, and every map's contents.
 * Shared by the differential test and scripts/diff-kernel.mjs (the full 10,000-program run).
 */

import { assemble } from '../../core/asm/assemble';
import { BpfObject } from '../../core/object';
import { listPrograms, ProgramRef } from '../../core/link';
import { kernelLogMessage, loadObjectProgram, mapDump, testRun } from '../../core/kernel';
import { mapTypeByName } from '../../core/maps/table';
import { runProgram } from '../../core/vm/run';
import { toHex } from '../../core/input/parse';

export interface Comparison {
  /** Empty when both agree. */
  differences: string[];
  /** Set when the kernel refused the program: the generator (or the example) is at fault. */
  rejected?: string;
  retval?: number;
}

function hexEntries(entries: { key?: Uint8Array; value?: Uint8Array }[]): string[] {
  return entries.map((e) => `${e.key ? toHex(e.key) : ''}=${e.value ? toHex(e.value) : ''}`).sort();
}

export function compareWithKernel(obj: BpfObject, progType: string, packet: Uint8Array, ref: ProgramRef = listPrograms(obj)[0]): Comparison {
  const loaded = loadObjectProgram(obj, ref, { progType });
  if (!('load' in loaded)) return { differences: [`cannot load: ${'message' in loaded ? loaded.message : loaded.unavailable}`] };
  const fds = loaded.mapFds;
  try {
    if (!('fd' in loaded.load)) {
      const res = loaded.load;
      const why = 'message' in res ? `${res.message}: ${kernelLogMessage(res.log, res.errnoName)}` : res.unavailable;
      return { differences: [], rejected: why };
    }
    const k = testRun({ progFd: loaded.load.fd, dataIn: packet, repeat: 1 });
    const ours = runProgram(obj, ref, { progType, input: { packet } });
    if (!('retval' in k)) {
      // The kernel refused the input: the VM must refuse it too, saying the same errno.
      const why = 'message' in k ? k.message : k.unavailable;
      const refused = ours.diagnostics.find((d) => d.severity === 'error' && d.message.includes(`(${'errnoName' in k ? k.errnoName : ''})`));
      return { differences: ours.result || !refused ? [`the kernel refused the input (${why}) but the VM ${ours.result ? 'ran it' : `said: ${ours.diagnostics.map((d) => d.message).join('; ')}`}`] : [] };
    }
    const differences: string[] = [];
    if (!ours.result) return { differences: [`our run could not start: ${ours.diagnostics.map((d) => d.message).join('; ')}`] };
    const res = ours.result;
    if (res.stop.reason !== 'exit') differences.push(`the kernel ran to the end (retval ${k.retval}) but the VM stopped: ${res.stop.message ?? res.stop.reason}`);
    else if (Number(res.r0! & 0xffffffffn) !== k.retval) differences.push(`retval: kernel ${k.retval}, VM ${Number(res.r0! & 0xffffffffn)}`);
    if (res.packet && toHex(res.packet) !== toHex(k.dataOut)) differences.push(`packet: kernel ${toHex(k.dataOut)}, VM ${toHex(res.packet)}`);
    obj.maps.forEach((m, idx) => {
      const perCpu = mapTypeByName(m.type)?.perCpu ?? false;
      const dump = mapDump(fds[idx], m.keySize, m.valueSize, perCpu);
      if (!('entries' in dump)) { differences.push(`cannot dump map ${m.name}`); return; }
      // Per-CPU values are compared on the CPU that ran: the one value that is not all zeros.
      const ran = (values: Uint8Array[] | undefined) => values?.find((v) => v.some((b) => b !== 0)) ?? values?.[0];
      const theirs = hexEntries(dump.entries.map((e) => ({ key: e.key, value: 'value' in e ? e.value : ran(e.values) })));
      const mine = hexEntries(res.maps.get(m.name)!.entries().map((e) => ({ key: e.key, value: e.value ?? ran(e.values) })));
      if (theirs.join() !== mine.join()) differences.push(`map ${m.name}: kernel [${theirs.join(', ')}], VM [${mine.join(', ')}]`);
    });
    return { differences, retval: k.retval };
  } finally {
    loaded.close();
  }
}

export function compareSource(text: string, progType: string, packet: Uint8Array): Comparison {
  const { object, diagnostics } = assemble(text);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) return { differences: [`does not assemble: ${errors.map((d) => `${(d.span?.line ?? 0) + 1}: ${d.message}`).join('; ')}`] };
  return compareWithKernel(object, progType, packet);
}

/** Each u64 of a per-CPU value summed over the CPUs (the kernel's CPUs and ours differ in number and in which ran). */
export function sumCpus(values: Uint8Array[], size: number): string {
  const out = Buffer.alloc(size);
  for (let off = 0; off + 8 <= size; off += 8) {
    let sum = 0n;
    for (const v of values) sum += Buffer.from(v.buffer, v.byteOffset, v.byteLength).readBigUInt64LE(off);
    out.writeBigUInt64LE(BigInt.asUintN(64, sum), off);
  }
  return out.toString('hex');
}
