// The full VM-versus-kernel differential run of issue #3: 10,000 generated programs
// (3,334 per program type) through BPF_PROG_TEST_RUN and the VM. Needs root on Linux.
//   npm run build && npx tsc -p tsconfig.json && node scripts/diff-kernel.mjs [COUNT_PER_TYPE] [SEED]
import { spawnSync } from 'node:child_process';

const count = process.argv[2] ?? '3334';
const seed = process.argv[3] ?? '1';
const res = spawnSync(process.execPath, ['--test', 'out/test/diff/kernelRun.test.js'], {
  stdio: 'inherit',
  env: { ...process.env, EBPF_DIFF_COUNT: count, EBPF_DIFF_SEED: seed },
});
process.exit(res.status ?? 1);
