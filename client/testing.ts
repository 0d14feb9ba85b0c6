/**
 * Tests beside the program in VS Code's Testing view: every eBPF source with a sidecar
 * `FILE.tests.json` becomes a test item, one child per case (at the case in the sidecar).
 * Running spawns the bundled CLI, `test FILE --json`, rather than calling core here: the
 * client imports no core (STYLE.md's layers), a long run or a runaway loop stays out of the
 * extension host and is cancelled by killing it, and the editor's verdict is by construction
 * the one CI gets. A failure is reported on the program's line where the run stopped. The
 * Debug profile starts an `ebpf` session on a case's input. Saving a program or its sidecar
 * runs its cases again (`ebpf.tests.runOnSave`).
 */

import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

const SIDECAR = '.tests.json';
/** Files the CLI's `test` takes (package.json's languages, the CLI's extra extensions, objects, C built beside). */
const PROGRAM = /\.(bpf\.s|s|asm|ebpf|bpf\.asm|cbpf|bpf_asm|bpf\.c|o|bin)$/i;

export interface CaseResult {
  state: 'passed' | 'failed' | 'errored';
  messages: vscode.TestMessage[];
}

/** What the extension's API exposes of the tests, for its own e2e tests. */
export interface EbpfTests {
  controller: vscode.TestController;
  runProfile: vscode.TestRunProfile;
  debugProfile: vscode.TestRunProfile;
  /** Finds the sidecars again and lists their cases; resolves once every file is listed. */
  refresh(): Promise<void>;
  /** The outcome of each case in its last run, by test item id. */
  lastResults: Map<string, CaseResult>;
}

interface Range1 { line: number; column: number; endLine: number; endColumn: number }
interface Failure { field: string; expected: unknown; got: unknown }
interface CaseReport {
  name: string; passed: boolean; failures: Failure[]; line?: number; column?: number; file?: string; insn?: number;
  result?: { exit: string; retval?: number; error?: string }; error?: string; errorAt?: { line: number; column: number }; caseRange: Range1;
}
interface TestJson {
  cases: CaseReport[];
  errors?: { file?: string; line?: number; column?: number; message: string }[];
}

export function registerTests(context: vscode.ExtensionContext): EbpfTests {
  const cli = context.asAbsolutePath(path.join('dist', 'cli.js'));
  const controller = vscode.tests.createTestController('ebpf', 'eBPF');
  const lastResults = new Map<string, CaseResult>();

  /** Runs the CLI; its JSON answer, or the reason there is none. Killed when `token` is cancelled. */
  const runCli = (args: string[], token?: vscode.CancellationToken): Promise<TestJson> => new Promise((resolve) => {
    const child = execFile(process.execPath, [cli, ...args], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      cancel?.dispose();
      try {
        resolve(JSON.parse(stdout) as TestJson);
      } catch {
        resolve({ cases: [], errors: [{ message: (stderr || err?.message || 'ebpf-workbench test gave no answer').trim() }] });
      }
    });
    const cancel = token?.onCancellationRequested(() => child.kill());
  });

  /** Lists (again) the cases of one program's sidecar; undefined when the program has none. */
  const listFile = async (program: string): Promise<vscode.TestItem | undefined> => {
    const id = vscode.Uri.file(program).toString();
    if (!PROGRAM.test(program) || !existsSync(program + SIDECAR)) {
      controller.items.delete(id);
      return undefined;
    }
    const file = controller.items.get(id) ?? controller.createTestItem(id, path.basename(program), vscode.Uri.file(program));
    controller.items.add(file);
    const sidecar = vscode.Uri.file(program + SIDECAR);
    const listed = await runCli(['test', program, '--list', '--json']);
    file.error = listed.errors?.length ? listed.errors.map((e) => (e.line ? `${path.basename(sidecar.fsPath)}:${e.line}: ${e.message}` : e.message)).join('\n') : undefined;
    file.children.replace(listed.cases.map((c) => {
      const item = controller.createTestItem(`${id}::${c.name}`, c.name, sidecar);
      item.range = new vscode.Range(c.caseRange.line - 1, c.caseRange.column - 1, c.caseRange.endLine - 1, c.caseRange.endColumn - 1);
      return item;
    }));
    return file;
  };

  const refresh = async (): Promise<void> => {
    const sidecars = await vscode.workspace.findFiles(`**/*${SIDECAR}`, '**/node_modules/**');
    const programs = new Set(sidecars.map((u) => u.fsPath.slice(0, -SIDECAR.length)));
    for (const doc of vscode.workspace.textDocuments) if (doc.uri.scheme === 'file') programs.add(doc.uri.fsPath);
    controller.items.forEach((item) => { if (item.uri && !programs.has(item.uri.fsPath)) controller.items.delete(item.id); });
    for (const p of programs) await listFile(p);
  };
  controller.refreshHandler = () => refresh();

  /** The requested cases, grouped by their program's item. */
  const requested = (request: vscode.TestRunRequest): Map<vscode.TestItem, vscode.TestItem[]> => {
    const byFile = new Map<vscode.TestItem, vscode.TestItem[]>();
    const excluded = new Set(request.exclude ?? []);
    const add = (file: vscode.TestItem, c: vscode.TestItem) => {
      if (excluded.has(c)) return;
      byFile.set(file, [...(byFile.get(file) ?? []), c]);
    };
    const roots: vscode.TestItem[] = [];
    if (request.include) roots.push(...request.include);
    else controller.items.forEach((i) => roots.push(i));
    for (const item of roots) {
      if (excluded.has(item)) continue;
      if (item.parent) add(item.parent, item);
      else item.children.forEach((c) => add(item, c));
    }
    return byFile;
  };

  const runHandler = async (request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> => {
    const run = controller.createTestRun(request);
    try {
      for (const [file, cases] of requested(request)) {
        if (token.isCancellationRequested) break;
        cases.forEach((c) => run.started(c));
        const t0 = Date.now();
        const out = await runCli(['test', file.uri!.fsPath, '--json'], token);
        report(run, file, cases, out, Date.now() - t0);
      }
    } finally {
      run.end();
    }
  };

  const report = (run: vscode.TestRun, file: vscode.TestItem, cases: vscode.TestItem[], out: TestJson, ms: number): void => {
    const sidecar = vscode.Uri.file(file.uri!.fsPath + SIDECAR);
    const byName = new Map(out.cases.map((c) => [c.name, c]));
    const fileErrors = (out.errors ?? []).map((e) => {
      const m = new vscode.TestMessage(e.message);
      if (e.line) m.location = new vscode.Location(sidecar, new vscode.Position(e.line - 1, (e.column ?? 1) - 1));
      return m;
    });
    for (const item of cases) {
      const c = byName.get(item.label);
      let result: CaseResult;
      if (!c) result = { state: 'errored', messages: fileErrors.length ? fileErrors : [new vscode.TestMessage(`no case '${item.label}' in ${path.basename(sidecar.fsPath)} any more`)] };
      else if (c.error !== undefined) {
        const m = new vscode.TestMessage(c.error);
        if (c.errorAt) m.location = new vscode.Location(sidecar, new vscode.Position(c.errorAt.line - 1, c.errorAt.column - 1));
        result = { state: 'errored', messages: [m] };
      } else if (c.passed) result = { state: 'passed', messages: [] };
      else result = { state: 'failed', messages: c.failures.map((f) => failureMessage(f, c, file.uri!)) };
      lastResults.set(item.id, result);
      if (result.state === 'passed') run.passed(item, ms);
      else if (result.state === 'failed') run.failed(item, result.messages, ms);
      else run.errored(item, result.messages, ms);
    }
  };

  const debugHandler = async (request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> => {
    const run = controller.createTestRun(request, undefined, false);
    try {
      for (const [file, cases] of requested(request)) {
        for (const item of cases) {
          if (token.isCancellationRequested) return;
          let config: vscode.DebugConfiguration;
          try { config = launchFor(file.uri!.fsPath, item.label); } catch (e) {
            run.errored(item, new vscode.TestMessage((e as Error).message));
            continue;
          }
          run.started(item);
          await debugUntilEnd(config, token);
          run.skipped(item);
        }
      }
    } finally {
      run.end();
    }
  };

  const runProfile = controller.createRunProfile('Run', vscode.TestRunProfileKind.Run, runHandler, true);
  const debugProfile = controller.createRunProfile('Debug', vscode.TestRunProfileKind.Debug, debugHandler, true);

  const watcher = vscode.workspace.createFileSystemWatcher(`**/*${SIDECAR}`);
  const relist = (u: vscode.Uri) => void listFile(u.fsPath.slice(0, -SIDECAR.length));
  context.subscriptions.push(
    controller, watcher,
    watcher.onDidCreate(relist), watcher.onDidChange(relist), watcher.onDidDelete(relist),
    vscode.workspace.onDidOpenTextDocument((doc) => { if (doc.uri.scheme === 'file' && existsSync(doc.uri.fsPath + SIDECAR)) void listFile(doc.uri.fsPath); }),
    vscode.workspace.onDidSaveTextDocument(async (doc) => {
      if (doc.uri.scheme !== 'file' || !vscode.workspace.getConfiguration('ebpf').get<boolean>('tests.runOnSave', true)) return;
      const program = doc.uri.fsPath.endsWith(SIDECAR) ? doc.uri.fsPath.slice(0, -SIDECAR.length) : doc.uri.fsPath;
      if (!existsSync(program + SIDECAR)) return;
      const file = await listFile(program);
      if (file) await runHandler(new vscode.TestRunRequest([file]), new vscode.CancellationTokenSource().token);
    }),
  );
  void refresh();
  return { controller, runProfile, debugProfile, refresh, lastResults };
}

/** A failure as the Test Results view shows it: a diff of expected and got, at the program's line where the run stopped. */
function failureMessage(f: Failure, c: CaseReport, program: vscode.Uri): vscode.TestMessage {
  const shown = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v, null, 1));
  const text = f.field === 'fault'
    ? (f.expected ? `expected a fault, got ${shown(f.got)}` : `fault: ${shown(f.got)}`)
    : `${f.field}: expected ${shown(f.expected)}, got ${shown(f.got)}`;
  const m = vscode.TestMessage.diff(text, shown(f.expected), shown(f.got));
  if (c.line !== undefined) {
    const uri = c.file ? vscode.Uri.file(path.resolve(path.dirname(program.fsPath), c.file)) : program;
    m.location = new vscode.Location(uri, new vscode.Position(c.line - 1, (c.column ?? 1) - 1));
  }
  return m;
}

/**
 * The launch configuration that debugs one case: its program and input, with paths made
 * absolute (they are relative to the sidecar); inline maps and env go as they are (the
 * adapter takes a file or the object). A C program's cases run its object FILE.bpf.o, and
 * so does their debugging.
 */
export function launchFor(program: string, caseName: string): vscode.DebugConfiguration {
  const dir = path.dirname(program);
  const doc = JSON.parse(readFileSync(program + SIDECAR, 'utf8')) as { cases?: { name?: string; program?: string; section?: string; progType?: string; input?: Record<string, unknown> }[] };
  const c = doc.cases?.find((x) => x.name === caseName);
  if (!c) throw new Error(`no case '${caseName}' in ${path.basename(program)}${SIDECAR}`);
  const input = c.input ?? {};
  const abs = (v: unknown) => path.resolve(dir, String(v));
  const fileOrObject = (v: unknown) => (typeof v === 'string' ? abs(v) : v);
  const config: vscode.DebugConfiguration = {
    type: 'ebpf', request: 'launch', name: `Debug test: ${caseName}`, stopOnEntry: true,
    program: /\.c$/i.test(program) ? program.replace(/\.c$/i, '.o') : program,
    ...(c.program ? { programName: c.program } : {}), ...(c.section ? { section: c.section } : {}), ...(c.progType ? { programType: c.progType } : {}),
  };
  if (input.packet !== undefined) config.packet = input.packet;
  if (input.packetFile !== undefined) config.packetFile = abs(input.packetFile);
  if (input.pcap !== undefined) config.pcap = abs(input.pcap);
  if (input.pcapIndex !== undefined) config.packetIndex = input.pcapIndex;
  if (input.mem !== undefined) config.mem = input.mem;
  if (input.memFile !== undefined) config.memFile = abs(input.memFile);
  if (input.ctx !== undefined) config.ctx = typeof input.ctx === 'string' ? JSON.parse(readFileSync(abs(input.ctx), 'utf8')) : input.ctx;
  if (input.maps !== undefined) config.maps = fileOrObject(input.maps);
  if (input.env !== undefined) config.env = fileOrObject(input.env);
  if (input.budget !== undefined) config.budget = input.budget;
  return config;
}

/** Starts a debug session and resolves when it ends (or at once if it does not start). */
async function debugUntilEnd(config: vscode.DebugConfiguration, token: vscode.CancellationToken): Promise<void> {
  let id: string | undefined;
  let end!: () => void;
  const ended = new Promise<void>((resolve) => { end = resolve; });
  const subscriptions = [
    vscode.debug.onDidStartDebugSession((s) => { if (id === undefined && s.configuration.name === config.name) id = s.id; }),
    vscode.debug.onDidTerminateDebugSession((s) => { if (s.id === id) end(); }),
    token.onCancellationRequested(() => end()),
  ];
  try {
    const ok = await vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(vscode.Uri.file(config.program)), config);
    if (ok && id !== undefined) await ended;
  } finally {
    subscriptions.forEach((d) => d.dispose());
  }
}
