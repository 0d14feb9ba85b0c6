/** The built debug adapter behind a real DAP client (@vscode/debugadapter-testsupport), for the adapter tests. */

import { join } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { REPO_ROOT } from '../paths';

export const ADAPTER = join(REPO_ROOT, 'dist', 'debugAdapter.js');

export async function startAdapter(): Promise<DebugClient> {
  const dc = new DebugClient(process.execPath, ADAPTER, 'ebpf');
  dc.defaultTimeout = 10000;
  await dc.start();
  return dc;
}
