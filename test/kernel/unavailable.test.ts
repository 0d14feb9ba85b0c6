// The bridge's "unavailable" answers: where koffi cannot load, and where bpf(2) says EPERM.
// Each case runs in a child process, since availability is probed once per process.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../paths';
import { canLoadBpf, findTool } from '../tools';

const INDEX = join(REPO_ROOT, 'out', 'core', 'kernel', 'index.js');

/** Calls kernelAvailable, createMap and loadProgram in a child, after `prelude`; their JSON answers. */
function probeChild(prelude: string, wrap: string[] = []): unknown[] {
  const script = `${prelude}
const k = require(${JSON.stringify(INDEX)});
const slots = new Uint8Array([0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);
process.stdout.write(JSON.stringify([
  k.kernelAvailable(),
  k.createMap({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1, flags: 0 }),
  k.loadProgram({ progType: 'xdp', insns: slots, license: 'GPL' }),
  k.testRun({ progFd: 0 }),
]));`;
  const [cmd, ...args] = [...wrap, process.execPath, '-e', script];
  const res = spawnSync(cmd, args, { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  return JSON.parse(res.stdout) as unknown[];
}

test('without koffi every call answers unavailable, with the reason', () => {
  // Make require('koffi') fail as it would where the package or its binary is missing.
  const prelude = `const M = require('module'); const orig = M._resolveFilename;
M._resolveFilename = function (req, ...rest) { if (req === 'koffi') throw new Error("Cannot find module 'koffi'"); return orig.call(this, req, ...rest); };`;
  const [avail, map, prog, run] = probeChild(prelude);
  const reason = process.platform === 'linux'
    ? "cannot load koffi (the FFI that reaches bpf(2)): Cannot find module 'koffi'"
    : `bpf(2) exists only on Linux, not ${process.platform}`;
  assert.deepEqual(avail, { ok: false, reason });
  for (const r of [map, prog, run]) assert.deepEqual(r, { unavailable: reason });
});

test('as an unprivileged user, bpf(2) says EPERM and every call answers unavailable', (t) => {
  const setpriv = findTool('setpriv');
  if (!canLoadBpf() || !setpriv) return t.skip('needs root and setpriv to become an unprivileged user');
  const wrap = [setpriv, '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all'];
  const [avail, map, prog, run] = probeChild('', wrap);
  const reason = 'bpf(2) not permitted (EPERM): loading BPF needs root or CAP_BPF';
  assert.deepEqual(avail, { ok: false, reason });
  for (const r of [map, prog, run]) assert.deepEqual(r, { unavailable: reason });
});
