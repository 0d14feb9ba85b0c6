/**
 * Reading run inputs given as text: hex bytes (`--packet`, `--mem`), context fields
 * (`--ctx`), and the run environment (`--env`). Bad input becomes a message naming what is
 * wrong; nothing throws.
 */

import { DEFAULT_ENV, RunEnv } from '../vm/host';

/** Hex bytes: `0a1b2c`, `0a 1b 2c`, `0x0a,0x1b`; white space, commas and `0x` prefixes are ignored. */
export function parseHex(text: string): Uint8Array | string {
  const clean = text.replace(/0x/gi, '').replace(/[\s,:]/g, '');
  if (!/^[0-9a-fA-F]*$/.test(clean)) {
    const bad = /[^0-9a-fA-F]/.exec(clean)!;
    return `not hex: '${bad[0]}' at character ${bad.index + 1}`;
  }
  if (clean.length % 2) return `odd number of hex digits (${clean.length})`;
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => parseInt(b, 16));
}

/** Lowercase hex in memory order, as the JSON outputs print bytes: one definition, beside the maps'. */
export { toHex } from '../maps/base';

/** A JSON object of context fields. */
export function parseCtxJson(text: string): Record<string, unknown> | string {
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) { return `--ctx is not valid JSON: ${(e as Error).message}`; }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return '--ctx must be a JSON object of field names and values';
  return v as Record<string, unknown>;
}

const ENV_KEYS: (keyof RunEnv)[] = ['timeNs', 'bootTimeNs', 'jiffies', 'pid', 'tgid', 'uid', 'gid', 'comm', 'cpu', 'nCpus', 'seed'];
/** Accepted spellings of each key, as people write them. */
const ENV_ALIASES: Record<string, keyof RunEnv> = {
  time: 'timeNs', time_ns: 'timeNs', ktime_ns: 'timeNs', boot_time: 'bootTimeNs', boot_time_ns: 'bootTimeNs',
  cpus: 'nCpus', cpu_count: 'nCpus', nr_cpus: 'nCpus', random_seed: 'seed',
};

/** `--env F.json`: fixes time, pid, tgid, uid, gid, comm, cpu, cpu count and the random seed. */
export function parseEnvJson(text: string): RunEnv | string {
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) { return `--env is not valid JSON: ${(e as Error).message}`; }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return '--env must be a JSON object';
  const env: RunEnv = { ...DEFAULT_ENV };
  for (const [rawKey, value] of Object.entries(v as Record<string, unknown>)) {
    const key = (ENV_KEYS as string[]).includes(rawKey) ? (rawKey as keyof RunEnv) : ENV_ALIASES[rawKey];
    if (!key) return `--env: unknown key '${rawKey}' (keys: ${ENV_KEYS.join(', ')})`;
    if (key === 'comm') {
      if (typeof value !== 'string') return '--env: comm must be a string';
      env.comm = value;
    } else if (key === 'timeNs' || key === 'bootTimeNs' || key === 'jiffies') {
      try { env[key] = BigInt(value as string | number); } catch { return `--env: ${rawKey} must be an integer`; }
    } else {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) return `--env: ${rawKey} must be a non-negative integer`;
      env[key] = value;
    }
  }
  if (env.cpu >= env.nCpus) return `--env: cpu ${env.cpu} must be less than the cpu count ${env.nCpus}`;
  return env;
}
