/**
 * Compares what a case's run gave with what its sidecar expects. Only the fields an
 * expectation names are compared, and in `maps` only the maps and entries it names:
 *
 * - `retval` against r0's low 32 bits, `r0` against all 64, both unsigned;
 * - `fault`: true wants a fault, false an exit; left out, a fault is a failure anyway,
 *   since nothing else can be compared after one;
 * - keyed maps: each named key's value (`"value": null` wants the key absent); a per-CPU
 *   map's `"values"` is every CPU's, and its `"value"` the CPU the case ran on;
 * - keyless maps (queue, stack, ringbuf): the whole list, oldest first;
 * - `events`: the whole list, in order (an event without `map` matches any map's).
 *
 * Expected and got values are JSON values, in the notation `run --json` prints.
 */

import { parseHex, toHex } from '../input/parse';
import { CaseOutcome, CaseProblem } from './runCase';
import { ExpectedEntry, ExpectedMap, Expectation } from './sidecar';

export interface Failure {
  /** What differs: `retval`, `r0`, `fault`, `packet`, `events`, `maps.NAME[KEYHEX]`, `maps.NAME`. */
  field: string;
  expected: unknown;
  got: unknown;
}

export function compareOutcome(expect: Expectation, got: CaseOutcome, opts: { cpu?: number } = {}): { failures: Failure[]; problems: CaseProblem[] } {
  const failures: Failure[] = [];
  const problems: CaseProblem[] = [];
  const differ = (field: string, expected: unknown, actual: unknown) => failures.push({ field, expected, got: actual });

  if (got.exit === 'fault' && expect.fault !== true) differ('fault', false, got.error ?? 'fault');
  if (got.exit === 'ok' && expect.fault === true) differ('fault', true, `exit with retval ${retvalOf(got.r0!)}`);
  if (got.exit === 'ok') {
    if (expect.retval !== undefined && retvalOf(got.r0!) !== expect.retval) differ('retval', expect.retval, retvalOf(got.r0!));
    if (expect.r0 !== undefined && got.r0 !== expect.r0) differ('r0', expect.r0.toString(), got.r0!.toString());
  }
  if (expect.packet !== undefined) {
    const want = toHex(expect.packet);
    const have = got.packet ? toHex(got.packet) : null;
    if (want !== have) differ('packet', want, have);
  }
  if (expect.events !== undefined) compareEvents(expect.events, got.events, differ);
  for (const [name, want] of Object.entries(expect.maps ?? {})) {
    const have = got.maps[name];
    if (!have) {
      const known = Object.keys(got.maps);
      problems.push({ field: `expect.maps.${name}`, message: `unknown map '${name}' (the program has ${known.length ? known.map((n) => `'${n}'`).join(', ') : 'no maps'})` });
      continue;
    }
    if (want.type !== undefined && want.type !== have.type) {
      problems.push({ field: `expect.maps.${name}`, message: `map '${name}' is a ${have.type}, not a ${want.type}` });
      continue;
    }
    compareMap(name, want, have.entries, opts.cpu ?? 0, differ, problems);
  }
  return { failures, problems };
}

const retvalOf = (r0: bigint) => Number(r0 & 0xffffffffn);

function compareEvents(want: NonNullable<Expectation['events']>, have: CaseOutcome['events'], differ: (f: string, e: unknown, g: unknown) => void): void {
  const shown = (e: { map?: string; data: string }) => (e.map ? { map: e.map, data: e.data } : { data: e.data });
  if (want.length !== have.length) {
    differ('events', want.map(shown), have.map(shown));
    return;
  }
  want.forEach((w, i) => {
    const h = have[i];
    if (w.data !== h.data || (w.map !== undefined && w.map !== h.map)) differ(`events[${i}]`, shown(w), shown(h));
  });
}

type EntryJson = CaseOutcome['maps'][string]['entries'][number];

function compareMap(
  name: string, want: ExpectedMap, have: EntryJson[], cpu: number,
  differ: (f: string, e: unknown, g: unknown) => void, problems: CaseProblem[],
): void {
  const keyless = have.length > 0 ? have[0].key === undefined : want.entries.every((e) => e.key === undefined);
  if (keyless) {
    if (want.entries.some((e) => e.key !== undefined)) {
      problems.push({ field: `expect.maps.${name}`, message: `map '${name}' has no keys: list its entries in order, without "key"` });
      return;
    }
    const wantList = want.entries.map((e) => normalize(e.value ?? e.values ?? null));
    const haveList = have.map((e) => e.value ?? e.values ?? null);
    if (JSON.stringify(wantList) !== JSON.stringify(haveList)) differ(`maps.${name}`, wantList, haveList);
    return;
  }
  for (const w of want.entries) {
    if (w.key === undefined) {
      problems.push({ field: `expect.maps.${name}`, message: `map '${name}' is keyed: each expected entry needs "key"` });
      continue;
    }
    const h = have.find((e) => e.key === w.key);
    const field = `maps.${name}[${w.key}]`;
    const expected = expectedValue(w);
    const got = h === undefined ? null : w.values !== undefined || h.values === undefined ? h.values ?? h.value ?? null : h.values[cpu] ?? null;
    const want = normalize(expected);
    if (JSON.stringify(want) !== JSON.stringify(got)) differ(field, want, got);
  }
}

function expectedValue(e: ExpectedEntry): string | string[] | null {
  return e.values ?? e.value ?? null;
}

/** Hex as `run --json` prints it (lowercase, no spaces); a name (prog_array, map-in-map) as it is. */
function normalize(v: string | string[] | null): string | string[] | null {
  if (v === null) return null;
  if (Array.isArray(v)) return v.map((x) => normalize(x) as string);
  const b = parseHex(v);
  return typeof b === 'string' || v === '' ? v : toHex(b);
}
