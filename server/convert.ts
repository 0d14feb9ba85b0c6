/** Core results to LSP types: the only place that knows both (0-based positions on both sides). */

import { Diagnostic as LspDiagnostic, DiagnosticSeverity } from 'vscode-languageserver';
import { Diagnostic } from '../core/diag';

const SEVERITY = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information };

export function toLspDiagnostic(d: Diagnostic): LspDiagnostic {
  const s = d.span ?? { line: 0, col: 0, endCol: 0 };
  return {
    range: { start: { line: s.line, character: s.col }, end: { line: s.line, character: Math.max(s.endCol, s.col) } },
    severity: SEVERITY[d.severity],
    code: d.code,
    source: 'ebpf',
    message: d.message,
  };
}
