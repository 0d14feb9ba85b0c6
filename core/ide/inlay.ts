/**
 * Inlay hints: at the end of each instruction line, the registers the line's instructions
 * changed, in the verifier's notation (`→ R4=pkt(off=14,r=0)`), from the states the
 * verifier joined over every path before and after each instruction.
 *
 * Conditional jumps get no hint (what they refine differs per branch), nor do instructions
 * the verifier never reached; a register a call leaves unreadable (R1-R5) is not shown. In
 * a classic filter only A and X (r0 and r7 of the translation) are shown, by those names.
 *
 * Cost: only the lines of the range are visited, each through the analysis's line index, so
 * a hint request costs the same in a 10,000-line document as in a short one.
 */

import { lookupRow } from '../isa/opcodes';
import { Analysis } from './analysis';

export interface InlayHint {
  line: number;
  col: number;
  label: string;
}

/** Classic BPF's registers in the translation (core/cbpf/translate.ts): A = r0, X = r7. */
const CLASSIC_NAMES: Record<number, string> = { 0: 'A', 7: 'X' };

/** Hints for the lines startLine..endLine (both included). */
export function inlayHints(a: Analysis, range: { startLine: number; endLine: number }): InlayHint[] {
  const hints: InlayHint[] = [];
  const last = Math.min(range.endLine, a.lines.length - 1);
  for (let line = Math.max(0, range.startLine); line <= last; line++) {
    const changes = lineChanges(a, line);
    if (!changes.length) continue;
    hints.push({ line, col: a.lines[line].trimEnd().length, label: `→ ${changes.join(' ')}` });
  }
  return hints;
}

/** `R4=pkt(off=14,r=0)` for each register the line's instructions changed (the last change wins). */
function lineChanges(a: Analysis, line: number): string[] {
  const at = a.insnsAtLine.get(line);
  if (!at) return [];
  const changed = new Map<number, string>();
  // A line of a subprogram linked into several programs: speak of the first program that reached it.
  const program = at.find((x) => a.programs[x.program]?.result?.regsAfter(x.insnIdx))?.program;
  for (const { program: k, insnIdx } of at) {
    const p = a.programs[k];
    const before = p?.result?.regsBefore(insnIdx);
    const after = p?.result?.regsAfter(insnIdx);
    if (k !== program || !before || !after || lookupRow(p.program.insns[insnIdx])?.kind === 'jcond') continue;
    after.forEach((state, r) => {
      if (state !== undefined && state !== before[r]) changed.set(r, state);
    });
  }
  const classic = a.language === 'cbpf';
  return [...changed]
    .filter(([r]) => !classic || r in CLASSIC_NAMES)
    .sort(([x], [y]) => x - y)
    .map(([r, state]) => `${classic ? CLASSIC_NAMES[r] : `R${r}`}=${state}`);
}
