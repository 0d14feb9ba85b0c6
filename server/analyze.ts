/**
 * What the language server knows about a document: the assembler's diagnostics, and, when
 * the file assembles, our verifier's verdict on each program, placed on the source line of
 * the instruction it names. Plain data with 0-based positions (core's convention).
 */

import { Diagnostic, hasErrors } from '../core/diag';
import { assemble } from '../core/asm/assemble';
import { linkProgram, listPrograms } from '../core/link';
import { sectionProgType } from '../core/progtypes/table';
import { verifyProgram } from '../core/verifier';

export function analyzeDocument(text: string, defaultProgType = 'socket_filter'): Diagnostic[] {
  const { object, diagnostics } = assemble(text);
  if (hasErrors(diagnostics)) return diagnostics;
  const out = [...diagnostics];
  for (const ref of listPrograms(object)) {
    const def = sectionProgType(ref.section);
    const { program } = linkProgram(object, ref);
    const res = verifyProgram(program, { progType: def?.progType ?? defaultProgType, attachType: def?.expectedAttachType, license: object.license, maps: object.maps });
    for (const d of res.diagnostics) {
      const pos = d.insnIdx !== undefined ? program.lines[d.insnIdx] : undefined;
      out.push({
        ...d,
        span: pos && !pos.file ? { line: pos.line, col: pos.col, endCol: pos.endCol } : { line: 0, col: 0, endCol: 0 },
        related: (d.related ?? []).map((r) => ({ ...r, span: r.insnIdx !== undefined ? program.lines[r.insnIdx] : undefined })),
      });
    }
  }
  return out;
}
