/**
 * The mocha entry VS Code loads as `extensionTestsPath` (the `yo code` template's index): it
 * runs inside the extension host of a real VS Code, started by test/vscode-host/run.js (or by
 * @vscode/test-electron's runTests on a machine with desktop VS Code). These files are not
 * node:test suites; scripts/test.mjs leaves out/test/e2e to this runner.
 *
 * EBPF_E2E_SUITE picks the files (comma-separated base names, default `suite,commands,testing,coverage`; the
 * untrusted run uses `untrusted`), EBPF_E2E_GREP filters test titles. It ends with the plain
 * `e2e: N passed, N failed, N skipped` line and rejects when a test failed, which makes the
 * workbench exit non-zero.
 */

import * as path from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60000 });
  if (process.env.EBPF_E2E_GREP) mocha.grep(new RegExp(process.env.EBPF_E2E_GREP));
  const suites = (process.env.EBPF_E2E_SUITE || 'suite,commands,testing,coverage').split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of suites) mocha.addFile(path.resolve(__dirname, `${s}.test.js`));
  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        const { passes = 0, pending = 0 } = runner.stats ?? {};
        console.log(`e2e: ${passes} passed, ${failures} failed, ${pending} skipped`);
        if (failures > 0) reject(new Error(`${failures} e2e tests failed`));
        else resolve();
      });
    } catch (e) {
      reject(e);
    }
  });
}
