/**
 * A classic filter run three ways on the same frames: our classic interpreter (given the
 * skb that BPF_PROG_TEST_RUN builds: pkt_type, ifindex, protocol), the eBPF translation in
 * our VM as sched_cls, and the translation loaded into the running kernel as sched_cls and
 * run through BPF_PROG_TEST_RUN. Each verdict is the filter's return value, or why there is
 * none (`refused: ...` for a frame test_run refuses, where the VM refuses it too).
 */

import { CInsn } from '../../core/cbpf/opcodes';
import { runCbpf } from '../../core/cbpf/run';
import { cbpfObject, translateCbpf } from '../../core/cbpf/translate';
import { BpfObject } from '../../core/object';
import { listPrograms } from '../../core/link';
import { testRunSkb } from '../../core/vm/context';
import { runProgram } from '../../core/vm/run';
import { verifyObjectProgram } from '../../core/verifier';
import { kernelAvailable, kernelLogMessage, loadObjectProgram, testRun } from '../../core/kernel';

export type Verdict = number | string;

export const KERNEL = kernelAvailable();

export interface ThreeWays {
  object: BpfObject;
  verifier: { accepted: boolean; message?: string };
  interp: number[];
  vm: Verdict[];
  /** The kernel's verdicts, or why there are none (not available, or it refused the program). */
  kernel: Verdict[] | string;
}

export function interpretAsTestRun(insns: readonly CInsn[], frame: Uint8Array): number {
  const skb = testRunSkb(frame);
  return runCbpf(insns, frame, { protocol: skb.protocol, pkttype: skb.pktType, ifindex: skb.ifindex });
}

export function runThreeWays(insns: readonly CInsn[], frames: readonly Uint8Array[], opts: { kernel?: boolean } = {}): ThreeWays | string {
  const lines = insns.map((_, k) => ({ line: k, col: 0, endCol: 0 }));
  const t = translateCbpf(insns, lines);
  if (t.diagnostics.length) return t.diagnostics.map((d) => d.message).join('; ');
  const object = cbpfObject(t, lines);
  const ref = listPrograms(object)[0];
  const v = verifyObjectProgram(object, ref, { progType: 'sched_cls' });
  const interp = frames.map((f) => interpretAsTestRun(insns, f));
  const vm = frames.map((f): Verdict => {
    const { result, diagnostics } = runProgram(object, ref, { progType: 'sched_cls', input: { packet: f } });
    if (!result) return `refused: ${diagnostics.map((d) => d.message).join('; ')}`;
    return result.stop.reason === 'exit' ? Number(result.r0! & 0xffffffffn) : `fault: ${result.stop.message}`;
  });
  let kernel: Verdict[] | string = KERNEL.ok ? 'not asked' : `kernel not available: ${KERNEL.reason}`;
  if (KERNEL.ok && opts.kernel !== false) {
    const loaded = loadObjectProgram(object, ref, { progType: 'sched_cls' });
    if (!('load' in loaded)) kernel = 'message' in loaded ? loaded.message : loaded.unavailable;
    else if (!('fd' in loaded.load)) { kernel = `refused: ${'log' in loaded.load ? kernelLogMessage(loaded.load.log, loaded.load.message) : loaded.load.unavailable}`; loaded.close(); }
    else {
      const fd = loaded.load.fd;
      kernel = frames.map((f) => {
        const r = testRun({ progFd: fd, dataIn: f });
        return 'retval' in r ? r.retval : `refused: ${'message' in r ? r.message : r.unavailable}`;
      });
      loaded.close();
    }
  }
  return { object, verifier: { accepted: v.accepted, message: v.diagnostics[0]?.message }, interp, vm, kernel };
}
