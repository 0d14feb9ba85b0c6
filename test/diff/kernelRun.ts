/**
 * Running one object both ways — in the kernel through BPF_PROG_TEST_RUN and in our VM —
 * and comparing what came out: the return value, the packet, and every map's contents.
 * Shared by the differential test and scripts/diff-kernel.mjs (the full 10,000-program run).
 */

import { assemble } from '../../core/asm/assemble';
import { BpfObject } from '../../core/object';
import { linkProgram, listPrograms, ProgramRef, rawLinkedSlots } from '../../core/link';
import { closeFd, createMap, loadProgram, mapDump, patchMapFds, testRun } from '../../core/kernel';
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
  const fds: number[] = [];
  try {
    for (const m of obj.maps) {
      const r = createMap({ type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries, flags: m.flags, name: m.name });
      if (!('fd' in r)) return { differences: [`cannot create map ${m.name}: ${'message' in r ? r.message : r.unavailable}`] };
      fds.push(r.fd);
    }
    const linked = linkProgram(obj, ref).program;
    const insns = patchMapFds(rawLinkedSlots(linked, (name) => obj.maps.findIndex((m) => m.name === name)), fds);
    const loaded = loadProgram({ progType, insns, license: obj.license });
    if (!('fd' in loaded)) {
      const log = 'log' in loaded ? loaded.log : '';
      const lines = log.trim().split('\n');
      const at = lines.findIndex((l) => /^processed \d+ insns/.test(l));
      return { differences: [], rejected: `${'message' in loaded ? loaded.message : 'unavailable'}: ${lines[at > 0 ? at - 1 : lines.length - 1] ?? ''}` };
    }
    const k = testRun({ progFd: loaded.fd, dataIn: packet, repeat: 1 });
    closeFd(loaded.fd);
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
    for (const fd of fds) closeFd(fd);
  }
}

export function compareSource(text: string, progType: string, packet: Uint8Array): Comparison {
  const { object, diagnostics } = assemble(text);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) return { differences: [`does not assemble: ${errors.map((d) => `${(d.span?.line ?? 0) + 1}: ${d.message}`).join('; ')}`] };
  return compareWithKernel(object, progType, packet);
}
