/**
 * Loads the extension's TextMate grammars (syntaxes/*.tmLanguage.json) the way VS Code does,
 * with vscode-textmate and the Oniguruma regex engine compiled to wasm, and tokenizes text
 * with them. A test helper, not part of the extension: VS Code loads the grammars itself.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as oniguruma from 'vscode-oniguruma';
import { IGrammar, INITIAL, Registry, StateStack, parseRawGrammar } from 'vscode-textmate';
import { REPO_ROOT } from '../paths';

export type ScopeName = 'source.ebpf' | 'source.cbpf';

export const GRAMMAR_FILES: Record<ScopeName, string> = {
  'source.ebpf': join(REPO_ROOT, 'syntaxes', 'ebpf.tmLanguage.json'),
  'source.cbpf': join(REPO_ROOT, 'syntaxes', 'cbpf.tmLanguage.json'),
};

export interface Token {
  text: string;
  /** Columns [start, end) in the line. */
  start: number;
  end: number;
  /** Outermost first: the grammar's scope name, then the rules' names. */
  scopes: string[];
}

export interface TokenizedLine {
  text: string;
  tokens: Token[];
  /** The tokenizer gave up on this line (vscode-textmate's time limit). */
  stoppedEarly: boolean;
}

let registry: Registry | undefined;

function getRegistry(): Registry {
  if (registry) return registry;
  const wasm = readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  const onigLib = oniguruma.loadWASM(wasm).then(() => ({
    createOnigScanner: (patterns: string[]) => oniguruma.createOnigScanner(patterns),
    createOnigString: (s: string) => oniguruma.createOnigString(s),
  }));
  registry = new Registry({
    onigLib,
    loadGrammar: async (scopeName) => {
      const file = GRAMMAR_FILES[scopeName as ScopeName];
      return file ? parseRawGrammar(readFileSync(file, 'utf8'), file) : null;
    },
  });
  return registry;
}

export async function loadGrammar(scopeName: ScopeName): Promise<IGrammar> {
  const grammar = await getRegistry().loadGrammar(scopeName);
  if (!grammar) throw new Error(`no grammar for ${scopeName}`);
  return grammar;
}

/** Tokenizes a whole text line by line, carrying the state (block comments) from line to line. */
export function tokenizeText(grammar: IGrammar, text: string): TokenizedLine[] {
  let state: StateStack = INITIAL;
  return text.split(/\r\n|\r|\n/).map((line) => {
    const res = grammar.tokenizeLine(line, state);
    state = res.ruleStack;
    return { text: line, stoppedEarly: res.stoppedEarly, tokens: res.tokens.map((t) => ({ text: line.slice(t.startIndex, t.endIndex), start: t.startIndex, end: t.endIndex, scopes: t.scopes })) };
  });
}

/** One line, tokenized on its own. */
export function tokenizeLine(grammar: IGrammar, line: string): TokenizedLine {
  return tokenizeText(grammar, line)[0];
}

/**
 * The scopes that every character of the first occurrence of `text` in `line` has (the
 * line tokenized on its own). For one token that is its scopes; for `*(u32 *)` it is what
 * its tokens share (meta.cast). Throws when `text` is not in the line.
 */
export function scopesAt(grammar: IGrammar, line: string, text: string): string[] {
  const at = line.indexOf(text);
  if (at < 0 || text.length === 0) throw new Error(`'${text}' is not in '${line}'`);
  const covering = tokenizeLine(grammar, line).tokens.filter((t) => t.end > at && t.start < at + text.length);
  return covering.map((t) => t.scopes).reduce((common, s) => common.filter((x) => s.includes(x)));
}

/** Whether a scope list holds `scope` or a more specific one (`constant.numeric` matches `constant.numeric.integer.hexadecimal.ebpf`). */
export function hasScope(scopes: readonly string[], scope: string): boolean {
  return scopes.some((s) => s === scope || s.startsWith(`${scope}.`));
}
