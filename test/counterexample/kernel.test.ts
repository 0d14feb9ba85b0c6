/**
 * The kernel's verifier rejects every program of the counterexample corpus (corpus.ts) for
 * the reason the case was written for: the rejections the search explains are the kernel's
 * own, not only ours. Needs bpf(2) (root on Linux); skips with the reason otherwise.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canLoadBpf } from '../tools';
import { CASES, loadCase } from './corpus';
import { kernelLogMessage, loadObjectProgram } from '../../core/kernel';

const skip = canLoadBpf() ? undefined : 'bpf(2) needs root on Linux';

for (const c of CASES) {
  test(`the kernel rejects it too: ${c.name}`, { skip }, (t) => {
    const { object, ref, progType, attachType } = loadCase(c);
    const loaded = loadObjectProgram(object, ref, { progType, attachType, logLevel: 1 });
    if ('unavailable' in loaded) { t.skip(loaded.unavailable); return; }
    if (!('load' in loaded)) assert.fail(loaded.message);
    try {
      const res = loaded.load;
      if ('unavailable' in res) { t.skip(res.unavailable); return; }
      assert.ok(!('fd' in res), 'the kernel accepts it');
      assert.match(kernelLogMessage(res.log, res.errnoName), c.reason);
    } finally {
      loaded.close();
    }
  });
}
