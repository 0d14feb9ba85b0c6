/**
 * Printing diagnostics for a terminal: `FILE:LINE:COL: error: message`, then the source line
 * and a caret under the span, as compilers print them (lines and columns 1-based).
 */

import { Diagnostic } from '../core/diag';
import { SourcePos } from '../core/object';

export function formatDiagnostic(file: string, d: Diagnostic, sourceLines?: string[]): string {
  const where = d.span ? `${file}:${d.span.line + 1}:${d.span.col + 1}` : d.insnIdx !== undefined ? `${file}: insn ${d.insnIdx}` : file;
  const parts = [`${where}: ${d.severity}: ${d.message}`];
  for (const line of d.detail ?? []) parts.push(`  ${line}`);
  const src = d.span && sourceLines ? sourceLines[d.span.line] : undefined;
  if (src !== undefined && d.span) {
    parts.push(src);
    parts.push(' '.repeat(d.span.col) + '^' + '~'.repeat(Math.max(0, d.span.endCol - d.span.col - 1)));
  }
  return parts.join('\n');
}

export function printDiagnostics(file: string, diags: readonly Diagnostic[], text?: string): void {
  const lines = text?.split(/\r\n|\r|\n/);
  for (const d of diags) {
    // A position in another file (an object's C source, through its BTF line info) names that file.
    const other = (d.span as SourcePos | undefined)?.file;
    process.stderr.write(formatDiagnostic(other ?? file, d, other ? undefined : lines) + '\n');
  }
}
