/**
 * One diagnostic type for every layer of core.
 *
 * Positions are 0-based (line, column); adapters convert to whatever their protocol uses.
 * `message` carries no final period. `code` names the kind of problem so that editors can
 * filter and quick-fix on it.
 */

export type Severity = 'error' | 'warning' | 'info';

export interface Span {
  /** 0-based line. */
  line: number;
  /** 0-based column of the first character. */
  col: number;
  /** 0-based column just past the last character (on the same line). */
  endCol: number;
}

export interface RelatedInfo {
  message: string;
  span?: Span;
  insnIdx?: number;
}

export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  span?: Span;
  /** Slot index of the instruction concerned (an lddw counts two). */
  insnIdx?: number;
  /** The section the instruction is in, when there are several. */
  section?: string;
  related?: RelatedInfo[];
  detail?: string[];
  explain?: string;
  fix?: string;
}

export function error(code: string, message: string, span?: Span): Diagnostic {
  return { code, severity: 'error', message, span };
}

export function warning(code: string, message: string, span?: Span): Diagnostic {
  return { code, severity: 'warning', message, span };
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === 'error');
}

/** Throws under test and in development: our own bugs, never the user's input. */
export function never(message: string): never {
  throw new Error(`internal error: ${message}`);
}
