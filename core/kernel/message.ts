/**
 * The message of a rejection, as DESIGN.md defines it: the last line of the verifier log
 * before the `processed N insns ...` statistics line, or `BPF_PROG_LOAD: ERRNO` when the
 * kernel wrote no log. A few kernel messages lack their newline, so the statistics are glued
 * to them (`expected prog array map for tail callprocessed 3 insns ...`): the text before
 * the statistics is then the message. Pure text: no system call.
 */

const STATS = /processed \d+ insns \(limit \d+\)/;

export function kernelLogMessage(log: string, errnoName: string): string {
  const lines = log.split('\n').filter((l) => l.trim() !== '');
  const at = lines.findIndex((l) => STATS.test(l));
  if (at < 0) return lines.length ? lines[lines.length - 1] : `BPF_PROG_LOAD: ${errnoName}`;
  const glued = lines[at].slice(0, lines[at].search(STATS));
  if (glued.trim()) return glued;
  return at > 0 ? lines[at - 1] : `BPF_PROG_LOAD: ${errnoName}`;
}
