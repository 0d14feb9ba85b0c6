/**
 * The bpf_conformance / uBPF test-file format (`.data`): sections introduced by `-- NAME`
 * lines (`asm`, `raw`, `mem`, `result`, `error`, ...), `#` comments, blank lines ignored.
 * See shared/conformance/README.md §1 for the rules this follows.
 */

export interface DataFile {
  /** Section bodies by name, comments stripped, lines kept. */
  sections: Map<string, string[]>;
  /** For each section, the 0-based file line of its first body line. */
  firstLine: Map<string, number>;
}

// The upstream reader looks for these keywords, in this order, anywhere in a `--` line.
const KEYWORDS = ['asm', 'result', 'mem', 'raw', 'no register offset', 'c', 'error'];

export function parseDataFile(text: string): DataFile {
  const sections = new Map<string, string[]>();
  const firstLine = new Map<string, number>();
  let current: string | undefined;
  text.split(/\r?\n/).forEach((raw, ln) => {
    if (raw.startsWith('--')) {
      const head = raw.slice(2).trim();
      current = KEYWORDS.find((k) => (k === 'c' ? head === 'c' : head.includes(k))) ?? head;
      sections.set(current, []);
      firstLine.set(current, ln + 1);
      return;
    }
    if (current === undefined) return;
    // The C source section is for humans, and `#` inside it is not a comment.
    const line = current === 'c' ? raw : raw.replace(/#.*$/, '');
    sections.get(current)!.push(line);
  });
  return { sections, firstLine };
}

/** The `asm` body with comment-only and blank lines replaced by empty ones, so line numbers stay. */
export function sectionText(f: DataFile, name: string): string | undefined {
  return f.sections.get(name)?.join('\n');
}

/** A `raw` body: one 0x-prefixed 64-bit number per line (little-endian reading of the slot), or
 * eight two-digit hex bytes per line in memory order (the `negative/` files). */
export function parseRaw(lines: string[]): Uint8Array | string {
  const bytes: number[] = [];
  for (const l of lines) {
    const t = l.trim();
    if (!t) continue;
    if (/^0x[0-9a-f]{1,16}$/i.test(t)) {
      let v = BigInt(t);
      for (let k = 0; k < 8; k++) { bytes.push(Number(v & 0xffn)); v >>= 8n; }
    } else if (/^([0-9a-f]{2}\s+){7}[0-9a-f]{2}$/i.test(t)) {
      for (const b of t.split(/\s+/)) bytes.push(parseInt(b, 16));
    } else {
      return `cannot read raw line '${t}'`;
    }
  }
  return Uint8Array.from(bytes);
}

/** The last non-blank line of a section (the upstream runner's rule for `result` and `error`). */
export function lastLine(f: DataFile, name: string): string | undefined {
  const lines = (f.sections.get(name) ?? []).map((l) => l.trim()).filter(Boolean);
  return lines[lines.length - 1];
}
