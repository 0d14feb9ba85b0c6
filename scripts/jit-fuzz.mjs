// The full JIT-versus-interpreter fuzz run of issue #9: 100,000 random programs (valid or
// not) run both ways; every stop, fault message, register, count and memory byte must agree.
//   npm run build && npx tsc -p tsconfig.json && node scripts/jit-fuzz.mjs [COUNT] [SEED]
import { spawnSync } from 'node:child_process';

const count = process.argv[2] ?? '100000';
const seed = process.argv[3] ?? '1';
const res = spawnSync(process.execPath, ['--test', 'out/test/jit/fuzz.test.js'], {
  stdio: 'inherit',
  env: { ...process.env, EBPF_JIT_FUZZ_COUNT: count, EBPF_JIT_FUZZ_SEED: seed },
});
process.exit(res.status ?? 1);
