/**
 * The kernel cross-check (setting `ebpf.kernelCrossCheck`): each verified program is also
 * loaded into the running kernel (bpf(2), root on Linux), and where the kernel's verdict
 * differs from ours the document says so on the program's first line, with the kernel's
 * message. Where the kernel cannot be asked, one note says why.
 */

import { Diagnostic, warning } from '../core/diag';
import { Analysis } from '../core/ide/analysis';
import { sectionProgType } from '../core/progtypes/table';
import { kernelAvailable, kernelLogMessage, loadObjectProgram } from '../core/kernel';

export interface KernelVerdict {
  section: string;
  name: string;
  progType: string;
  accepted?: boolean;
  message?: string;
  log?: string;
  /** Why the kernel could not be asked. */
  unavailable?: string;
}

/** Each program loaded into the kernel (the `Verify in kernel` command): its verdict and log. */
export function kernelVerdicts(a: Analysis): KernelVerdict[] {
  const available = kernelAvailable();
  return a.programs.map((p) => {
    const base = { section: p.ref.section, name: p.ref.name, progType: p.progType };
    if (!available.ok) return { ...base, unavailable: available.reason };
    const loaded = loadObjectProgram(a.object, p.ref, { progType: p.progType, attachType: sectionProgType(p.ref.section)?.expectedAttachType, logLevel: 2 });
    if (!('load' in loaded)) return { ...base, unavailable: 'message' in loaded ? loaded.message : loaded.unavailable };
    const l = loaded.load;
    loaded.close();
    if ('fd' in l) return { ...base, accepted: true, log: l.log };
    return { ...base, accepted: false, message: 'log' in l ? kernelLogMessage(l.log, l.message) : l.unavailable, log: 'log' in l ? l.log : undefined };
  });
}

export function crossCheckDiagnostics(a: Analysis): Diagnostic[] {
  const available = kernelAvailable();
  const firstLine = (k: number) => a.programs[k].program.lines.find((l) => l && !l.file);
  if (!available.ok) {
    return a.programs.length ? [{ ...warning('kernel', `kernel cross-check unavailable: ${available.reason}`, firstLine(0)), severity: 'info' }] : [];
  }
  const out: Diagnostic[] = [];
  a.programs.forEach((p, k) => {
    if (!p.result) return;
    const loaded = loadObjectProgram(a.object, p.ref, { progType: p.progType, attachType: sectionProgType(p.ref.section)?.expectedAttachType });
    if (!('load' in loaded)) return;
    const accepted = 'fd' in loaded.load;
    const message = 'fd' in loaded.load ? '' : 'log' in loaded.load ? kernelLogMessage(loaded.load.log, loaded.load.message) : '';
    loaded.close();
    if (accepted === p.result.accepted && (accepted || message === p.result.message)) return;
    const kernelSays = accepted ? 'the kernel accepts this program' : `the kernel rejects this program: ${message}`;
    out.push(warning('kernel', `${kernelSays} (our verifier ${p.result.accepted ? 'accepts it' : `says: ${p.result.message}`})`, firstLine(k)));
  });
  return out;
}
