/**
 * The debug session: DAP requests mapped onto the runtime (core/debug/runtime.ts), as
 * vscode-mock-debug's session maps them onto its MockRuntime. Positions: DAP lines are
 * 1-based and ours 0-based; instruction addresses are byte offsets (`0x18` is slot 3), as
 * llvm-objdump numbers them.
 *
 * Every request answers: a request that cannot be served (no program yet, a bad
 * expression, a breakpoint past the end of the file) gets an error response, never a crash.
 */

import { basename, resolve } from 'node:path';
import {
  Breakpoint, BreakpointEvent, ExitedEvent, InitializedEvent, LoggingDebugSession, OutputEvent, Scope, Source, StackFrame,
  StoppedEvent, TerminatedEvent, Thread,
} from '@vscode/debugadapter';
import { DebugProtocol } from '@vscode/debugprotocol';
import { DebugEvent, DebugRuntime, ResumeMode } from '../core/debug/runtime';
import { evaluateText, formatValue, interpolate, keyBytes, parseMapQuery } from '../core/debug/expr';
import { verifyProgram, VerifyResult } from '../core/verifier';
import { performance } from 'node:perf_hooks';
import { helperByName } from '../core/helpers/table';
import { printInsn } from '../core/asm/print';
import { slotHex } from '../core/isa/insn';
import { LaunchArguments, Launched, readLaunch } from './launch';
// The one C build of the project: the language server's (ebpf.compileCommand's default, clang-19 -g -O2 -target bpf).
import { buildC } from '../server/compile';
import { DEFAULT_COMPILE_COMMAND } from '../server/protocol';
import { Variables, hexAddress, valueBytes } from './variables';
import { VerifierView } from '../core/debug/soundness';
import { mapEntries } from '../core/debug/values';
import { executedCounts, executedLines } from '../core/ide/coverage';

const THREAD = 1;
/** The id of the internal breakpoint of `stopBeforeInsn` (DAP ids are positive). */
const STOP_BEFORE_ID = -1;
/** How long a launch waits for the verifier before leaving it to the first view that needs it. */
const LAUNCH_VERIFY_MS = 300;

interface SourceBreakpoints {
  path: string;
  requested: DebugProtocol.SourceBreakpoint[];
}

export class EbpfDebugSession extends LoggingDebugSession {
  private rt?: DebugRuntime;
  private launched?: Launched;
  private vars?: Variables;
  private verified?: VerifyResult;
  private nextBreakpointId = 1;
  private sourceBreakpoints = new Map<string, SourceBreakpoints>();
  private functionBreakpoints: DebugProtocol.FunctionBreakpoint[] = [];
  private instructionBreakpoints: DebugProtocol.InstructionBreakpoint[] = [];
  private configurationDone!: Promise<void>;
  private configured!: () => void;
  private lastException?: string;
  /** `stopBeforeInsn` until the run gets there. */
  private stopBefore?: number;
  private running = false;

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.configurationDone = new Promise((r) => { this.configured = r; });
  }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsFunctionBreakpoints: true,
      supportsInstructionBreakpoints: true,
      supportsDataBreakpoints: true,
      supportsStepBack: true,
      supportsRestartRequest: true,
      supportsSetVariable: true,
      supportsEvaluateForHovers: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsDisassembleRequest: true,
      supportsSteppingGranularity: true,
      supportsExceptionInfoRequest: true,
      supportsTerminateRequest: true,
      exceptionBreakpointFilters: [
        { filter: 'fault', label: 'Runtime faults', default: true, description: 'Stop where the program faults (a bad memory access, a division the VM refuses, the budget running out)' },
        { filter: 'helperError', label: 'Helpers returning an error', default: false, description: 'Stop after a helper call that returned a negative errno' },
      ],
    };
    this.sendResponse(response);
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.configured();
    this.sendResponse(response);
  }

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: LaunchArguments): Promise<void> {
    try {
      this.launched = readLaunch(args, await this.buildIfC(args));
    } catch (e) {
      this.sendErrorResponse(response, 1001, (e as Error).message);
      this.sendEvent(new TerminatedEvent());
      return;
    }
    const input = this.launched.input;
    const classic = /\.(cbpf|bpf_asm)$/i.test(this.launched.sourcePath);
    this.rt = new DebugRuntime(input, (e) => this.onRuntimeEvent(e), {
      condition: (text) => {
        const v = evaluateText(text, this.vars!.evalEnv());
        return v.ok ? v.value !== 0n : v.error;
      },
      interpolate: (text) => interpolate(text, this.vars!.evalEnv()),
    });
    this.vars = new Variables(this.rt, classic, () => this.verifierView(this.rt!.pc));
    const diags = this.rt.start();
    const errors = diags.filter((d) => d.severity === 'error');
    if (errors.length) {
      this.sendErrorResponse(response, 1002, errors.map((d) => d.message).join('; '));
      this.sendEvent(new TerminatedEvent());
      return;
    }
    // The verifier's view of each instruction, for the Verifier scope (program types only; raw runs have none).
    // A walk that takes long (a million instructions take seconds) does not hold up the launch: it
    // is finished when the Verifier scope or a stopBeforeInsn stop first needs it.
    if (input.progType !== 'raw') {
      const v = this.verification(performance.now() + LAUNCH_VERIFY_MS);
      if (v && !v.accepted) this.output(`note: our verifier rejects this program: ${v.message}\n`, 'console');
    }
    if (args.stopBeforeInsn !== undefined) {
      if (!Number.isInteger(args.stopBeforeInsn) || args.stopBeforeInsn < 0 || args.stopBeforeInsn >= this.rt.program.insns.length) {
        this.sendErrorResponse(response, 1003, `stopBeforeInsn: no instruction ${args.stopBeforeInsn} in the program (it has ${this.rt.program.insns.length})`);
        this.sendEvent(new TerminatedEvent());
        return;
      }
      this.stopBefore = args.stopBeforeInsn;
      this.placeBreakpoints();
    }
    this.sendEvent(new InitializedEvent());
    // The client sends its breakpoints between `initialized` and configurationDone; wait (a while) for them.
    await Promise.race([this.configurationDone, new Promise((r) => setTimeout(r, 2000))]);
    this.sendResponse(response);
    if (args.stopOnEntry) this.sendEvent(new StoppedEvent('entry', THREAD));
    else if (this.rt.breakpoints.some((b) => b.pc === this.rt!.pc && !b.logMessage)) this.sendEvent(new StoppedEvent('breakpoint', THREAD));
    else void this.resume('continue');
  }

  /** Our verifier's result for the program, walked once; undefined when `deadline` (performance.now()) came first. */
  private verification(deadline?: number): VerifyResult | undefined {
    const rt = this.rt;
    if (this.verified || !rt || rt.input.progType === 'raw') return this.verified;
    const input = rt.input;
    const v = verifyProgram(rt.program, {
      progType: input.progType, license: input.object.license, maps: input.object.maps, recordStack: true,
      isCancelled: deadline === undefined ? undefined : () => performance.now() > deadline,
    });
    if (!v.cancelled) this.verified = v;
    return this.verified;
  }

  /** What the Verifier scope shows at `pc`: the verifier's states there (none for raw runs). */
  private verifierView(pc: number): VerifierView | undefined {
    const v = this.verification();
    return v && { accepted: v.accepted, strings: v.regsBefore(pc), regs: v.statesBefore(pc), slots: v.slotsBefore(pc), live: v.liveBefore(pc) };
  }

  /** A C source is built first, with the same command the language server uses; its errors name their line. */
  private async buildIfC(args: LaunchArguments): Promise<Uint8Array | undefined> {
    if (typeof args.program !== 'string' || !/\.c$/i.test(args.program)) return undefined;
    if (args.compileCommand !== undefined && typeof args.compileCommand !== 'string') throw new Error('compileCommand: a shell command with ${file} and ${out}');
    this.output(`building ${args.program}\n`, 'console');
    const built = await buildC(args.program, args.compileCommand ?? DEFAULT_COMPILE_COMMAND);
    if (built.bytes) return built.bytes;
    const first = built.diagnostics.find((d) => d.severity === 'error');
    throw new Error(`${args.program}${first?.span ? `:${first.span.line + 1}` : ''}: ${first?.message ?? 'the build failed'} (${built.command})`);
  }

  // --- breakpoints --------------------------------------------------------------------------

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    const path = args.source.path ?? args.source.name ?? '';
    this.sourceBreakpoints.set(path, { path, requested: args.breakpoints ?? [] });
    const placed = this.placeBreakpoints();
    response.body = { breakpoints: placed.get(path) ?? [] };
    this.sendResponse(response);
  }

  protected override setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    this.functionBreakpoints = args.breakpoints;
    const placed = this.placeBreakpoints();
    response.body = { breakpoints: placed.get('#functions') ?? [] };
    this.sendResponse(response);
  }

  protected override setInstructionBreakpointsRequest(response: DebugProtocol.SetInstructionBreakpointsResponse, args: DebugProtocol.SetInstructionBreakpointsArguments): void {
    this.instructionBreakpoints = args.breakpoints;
    const placed = this.placeBreakpoints();
    response.body = { breakpoints: placed.get('#instructions') ?? [] };
    this.sendResponse(response);
  }

  /**
   * Recomputes the runtime's breakpoints from everything requested: source lines move to the
   * first line at or after them that holds an instruction; function breakpoints name a label
   * (a function's first instruction) or a helper (every call of it).
   */
  private placeBreakpoints(): Map<string, DebugProtocol.Breakpoint[]> {
    const out = new Map<string, DebugProtocol.Breakpoint[]>();
    const rt = this.rt;
    const bps: DebugRuntime['breakpoints'] = [];
    for (const sb of this.sourceBreakpoints.values()) {
      out.set(sb.path, sb.requested.map((req) => {
        const id = this.nextBreakpointId++;
        const hit = rt ? this.pcForLine(sb.path, req.line - 1) : undefined;
        const bp: DebugProtocol.Breakpoint = new Breakpoint(hit !== undefined, hit ? hit.line + 1 : req.line, undefined, new Source(basename(sb.path), sb.path));
        bp.id = id;
        if (hit) bps.push({ id, pc: hit.pc, condition: req.condition, hitCondition: req.hitCondition, logMessage: req.logMessage, hits: 0 });
        else bp.message = rt ? 'no instruction at or after this line' : 'the program is not loaded yet';
        return bp;
      }));
    }
    const helperBreaks = new Map<number, number>();
    out.set('#functions', this.functionBreakpoints.map((f) => {
      const id = this.nextBreakpointId++;
      const pc = rt ? this.labelPc(f.name) : undefined;
      const helper = helperByName(f.name.replace(/^bpf_/, ''));
      if (pc !== undefined) bps.push({ id, pc, condition: f.condition, hitCondition: f.hitCondition, hits: 0 });
      else if (helper) helperBreaks.set(helper.id, id);
      const bp: DebugProtocol.Breakpoint = new Breakpoint(pc !== undefined || !!helper);
      bp.id = id;
      if (pc === undefined && !helper) bp.message = `no function, label or helper named ${f.name}`;
      return bp;
    }));
    out.set('#instructions', this.instructionBreakpoints.map((ib) => {
      const id = this.nextBreakpointId++;
      const pc = Number(BigInt(ib.instructionReference) / 8n) + (ib.offset ?? 0);
      const ok = !!rt && Number.isInteger(pc) && pc >= 0 && pc < rt.program.insns.length;
      if (ok) bps.push({ id, pc, condition: ib.condition, hitCondition: ib.hitCondition, hits: 0 });
      const bp: DebugProtocol.Breakpoint = new Breakpoint(ok);
      bp.id = id;
      if (!ok) bp.message = 'no instruction at this address';
      return bp;
    }));
    if (rt && this.stopBefore !== undefined) bps.push({ id: STOP_BEFORE_ID, pc: this.stopBefore, hits: 0 });
    if (rt) {
      rt.breakpoints = bps;
      rt.helperBreaks = helperBreaks;
    }
    return out;
  }

  private pcForLine(path: string, line: number): { pc: number; line: number } | undefined {
    const rt = this.rt!;
    const lines = rt.program.lines;
    let best: { pc: number; line: number } | undefined;
    lines.forEach((pos, pc) => {
      if (!pos || !this.sameSource(pos.file, path) || pos.line < line) return;
      if (!best || pos.line < best.line || (pos.line === best.line && pc < best.pc)) best = { pc, line: pos.line };
    });
    return best;
  }

  private sameSource(file: string | undefined, path: string): boolean {
    const main = this.launched!.sourcePath;
    const want = resolve(path);
    return file ? resolve(file) === want || basename(file) === basename(path) : resolve(main) === want;
  }

  /** The linked slot of a function or label: where the symbol's section slot landed. */
  private labelPc(name: string): number | undefined {
    const program = this.rt!.program;
    const fn = program.functions.find((f) => f.name === name);
    if (fn) return fn.slot;
    const sym = this.rt!.input.object.symbols.find((s) => s.name === name && s.offset % 8 === 0);
    if (!sym) return undefined;
    const pc = program.origin.findIndex((o) => o.section === sym.section && o.slot === sym.offset / 8);
    return pc >= 0 ? pc : undefined;
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    if (this.rt) {
      this.rt.stopOnFault = args.filters.includes('fault');
      this.rt.stopOnHelperError = args.filters.includes('helperError');
    }
    this.sendResponse(response);
  }

  protected override dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    response.body = { dataId: null, description: 'only stack slots and map values can be watched' };
    const ref = args.variablesReference;
    if (this.rt && ref !== undefined) {
      const id = this.vars!.dataId(ref, args.name);
      if (id) response.body = { dataId: id.dataId, description: id.description, accessTypes: ['write'], canPersist: false };
    }
    this.sendResponse(response);
  }

  protected override setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    const rt = this.rt;
    const placed: DebugProtocol.Breakpoint[] = [];
    const watches: DebugRuntime['watches'] = [];
    for (const d of args.breakpoints) {
      const id = this.nextBreakpointId++;
      const w = parseDataId(d.dataId, id);
      if (w) watches.push(w);
      const bp: DebugProtocol.Breakpoint = new Breakpoint(!!w && !!rt);
      bp.id = id;
      placed.push(bp);
    }
    if (rt) { rt.watches = watches; rt.snapshotWatches(); }
    response.body = { breakpoints: placed };
    this.sendResponse(response);
  }

  // --- running ------------------------------------------------------------------------------

  private async resume(mode: ResumeMode): Promise<void> {
    const rt = this.rt;
    if (!rt || this.running) return;
    this.running = true;
    try {
      const origin = rt.origin();
      // Slices of the run, yielding between them so that a pause request gets in.
      while (!rt.resume(mode, 100_000, origin)) await new Promise((r) => setImmediate(r));
    } finally {
      this.running = false;
    }
  }

  private onRuntimeEvent(e: DebugEvent): void {
    switch (e.kind) {
      case 'stopped': {
        this.vars?.reset();
        if (e.breakpointIds?.includes(STOP_BEFORE_ID)) {
          // The one-shot stop of stopBeforeInsn: said once, as an exception would be, then gone.
          this.stopBefore = undefined;
          this.placeBreakpoints();
          const rejection = this.verification()?.message;
          e = { ...e, reason: 'exception', description: `before the instruction the verifier rejects${rejection ? `: ${rejection}` : ''}`, breakpointIds: e.breakpointIds.filter((id) => id !== STOP_BEFORE_ID) };
        }
        if (e.reason === 'exception') this.lastException = e.description;
        const ev = new StoppedEvent(e.reason, THREAD, e.description) as DebugProtocol.StoppedEvent;
        if (e.breakpointIds) ev.body.hitBreakpointIds = e.breakpointIds;
        if (e.reason === 'exception') ev.body.text = e.description;
        this.sendEvent(ev);
        break;
      }
      case 'output': this.output(e.text, e.category); break;
      case 'packetDone': {
        const r = e.result;
        const verdict = r.fault ? `fault: ${r.fault}` : `retval ${r.retval} (r0 = 0x${r.r0!.toString(16)})`;
        this.output(`packet ${e.packet}: ${verdict}, ${r.insns} instructions\n`, 'console');
        break;
      }
      case 'exited': {
        const last = e.results[e.results.length - 1];
        this.sendEvent(new ExitedEvent(last?.retval ?? 0));
        this.sendEvent(new TerminatedEvent());
        break;
      }
    }
  }

  private output(text: string, category: 'console' | 'stdout' | 'stderr'): void {
    this.sendEvent(new OutputEvent(text, category));
  }

  private needRuntime(response: DebugProtocol.Response): DebugRuntime | undefined {
    if (this.rt) return this.rt;
    this.sendErrorResponse(response, 1003, 'no program is running (launch first)');
    return undefined;
  }

  private step(response: DebugProtocol.Response, mode: ResumeMode, granularity?: DebugProtocol.SteppingGranularity): void {
    const rt = this.needRuntime(response);
    if (!rt) return;
    rt.granularity = granularity === 'instruction' ? 'instruction' : 'line';
    this.sendResponse(response);
    void this.resume(mode);
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    response.body = { allThreadsContinued: true };
    this.step(response, 'continue');
  }
  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void { this.step(response, 'next', args.granularity); }
  protected override stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void { this.step(response, 'stepIn', args.granularity); }
  protected override stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void { this.step(response, 'stepOut', args.granularity); }

  protected override stepBackRequest(response: DebugProtocol.StepBackResponse, args: DebugProtocol.StepBackArguments): void {
    const rt = this.needRuntime(response);
    if (!rt) return;
    rt.granularity = args.granularity === 'instruction' ? 'instruction' : 'line';
    this.sendResponse(response);
    rt.stepBack();
  }

  protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse): void {
    const rt = this.needRuntime(response);
    if (!rt) return;
    this.sendResponse(response);
    rt.reverseContinue();
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    const rt = this.needRuntime(response);
    if (!rt) return;
    if (this.running) rt.pause();
    else this.sendEvent(new StoppedEvent('pause', THREAD));
    this.sendResponse(response);
  }

  protected override restartRequest(response: DebugProtocol.RestartResponse): void {
    const rt = this.needRuntime(response);
    if (!rt) return;
    rt.replayTo(0);
    this.sendResponse(response);
    this.sendEvent(new StoppedEvent('entry', THREAD));
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.rt?.pause();
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse): void {
    this.rt?.pause();
    this.sendResponse(response);
  }

  // --- inspecting ---------------------------------------------------------------------------

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    const rt = this.rt;
    response.body = { threads: [new Thread(THREAD, rt && rt.input.packets.length > 1 ? `packet ${Math.min(rt.packet, rt.input.packets.length - 1)}` : 'program')] };
    this.sendResponse(response);
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    const rt = this.needRuntime(response);
    if (!rt) return;
    const frames = rt.frames().reverse();
    const start = args.startFrame ?? 0;
    const count = args.levels || frames.length;
    response.body = {
      stackFrames: frames.slice(start, start + count).map((f) => {
        const pos = rt.program.lines[f.pc];
        const source = this.sourceFor(pos?.file);
        const sf = new StackFrame(f.depth, this.functionAt(f.pc), source, pos ? pos.line + 1 : 0, pos ? pos.col + 1 : 0) as DebugProtocol.StackFrame;
        sf.instructionPointerReference = `0x${(f.pc * 8).toString(16)}`;
        return sf;
      }),
      totalFrames: frames.length,
    };
    this.sendResponse(response);
  }

  private sourceFor(file: string | undefined): Source | undefined {
    const path = file ?? (this.launched?.text !== undefined ? this.launched.sourcePath : undefined);
    return path ? new Source(basename(path), this.convertDebuggerPathToClient(resolve(path))) : undefined;
  }

  /** The function a pc is in: the nearest entry at or before it (the program's start or a bpf-to-bpf call target). */
  private functionAt(pc: number): string {
    const rt = this.rt!;
    const program = rt.program;
    const entries = new Set<number>([0, ...program.functions.map((f) => f.slot)]);
    program.insns.forEach((i, k) => { if (rt.isLocalCall(k)) entries.add(k + 1 + i.imm); });
    const entry = Math.max(...[...entries].filter((e) => e <= pc));
    const origin = program.origin[entry];
    const name = program.functions.find((f) => f.slot === entry && f.name !== origin?.section)?.name
      ?? rt.input.object.symbols.find((s) => origin && s.section === origin.section && s.offset === origin.slot * 8 && s.kind !== 'section')?.name
      ?? (entry === 0 ? rt.input.ref.name : `sub_${entry}`);
    return `${name} @ insn ${pc}`;
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    if (!this.needRuntime(response)) return;
    const depth = args.frameId;
    response.body = { scopes: this.vars!.scopes(depth) as Scope[] };
    this.sendResponse(response);
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    if (!this.needRuntime(response)) return;
    response.body = { variables: this.vars!.variables(args.variablesReference) };
    this.sendResponse(response);
  }

  protected override setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): void {
    if (!this.needRuntime(response)) return;
    try {
      response.body = { value: this.vars!.setVariable(args.variablesReference, args.name, args.value) };
      this.sendResponse(response);
    } catch (e) {
      this.sendErrorResponse(response, 1004, (e as Error).message);
    }
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    const rt = this.needRuntime(response);
    if (!rt) return;
    const q = parseMapQuery(args.expression, this.vars!.evalEnv());
    if (q) {
      const map = rt.mapSet.get(q.map);
      if (!map) { this.sendErrorResponse(response, 1005, `no map named ${q.map} (maps: ${[...rt.mapSet.keys()].join(', ') || 'none'})`); return; }
      const key = keyBytes(q.key, map.def.keySize);
      if (typeof key === 'string') { this.sendErrorResponse(response, 1005, key); return; }
      const v = map.sysLookup(key);
      const typed = v instanceof Uint8Array ? this.vars!.typedMapValue(map, key) : undefined;
      response.body = typed ?? { result: v instanceof Uint8Array ? Buffer.from(v).toString('hex').replace(/(..)(?!$)/g, '$1 ') : 'no such key', variablesReference: 0 };
      this.sendResponse(response);
      return;
    }
    const name = args.expression.trim();
    const local = /^[A-Za-z_]\w*$/.test(name) && !/^[rw]\d{1,2}$/.test(name) ? this.vars!.localValue(name, args.frameId ?? rt.frames().length - 1) : undefined;
    if (local) { response.body = local; this.sendResponse(response); return; }
    const v = evaluateText(args.expression, this.vars!.evalEnv());
    if (!v.ok) { this.sendErrorResponse(response, 1006, v.error); return; }
    response.body = { result: `0x${v.value.toString(16)} (${formatValue(v.value, v.signed)})`, variablesReference: 0, memoryReference: `0x${v.value.toString(16)}` };
    this.sendResponse(response);
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    response.body = { exceptionId: 'fault', description: this.lastException ?? 'no exception', breakMode: 'always' };
    this.sendResponse(response);
  }

  /** A memory reference plus offset as an address; a reference that is not a number answers an error. */
  private address(response: DebugProtocol.Response, reference: string, offset = 0): bigint | undefined {
    try {
      return BigInt(reference) + BigInt(offset);
    } catch {
      this.sendErrorResponse(response, 1007, `bad memory reference ${reference}`);
      return undefined;
    }
  }

  protected override readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    const rt = this.needRuntime(response);
    const addr = rt && this.address(response, args.memoryReference, args.offset);
    if (!rt || addr === undefined) return;
    const count = Math.min(Math.max(args.count, 0), 1 << 20);
    // Read what is readable from the start; the rest is reported unreadable.
    let got = 0;
    let bytes: Uint8Array = new Uint8Array(0);
    for (let n = count; n > 0; n = Math.floor(n / 2)) {
      const r = rt.run.vm.readMemory(addr, n);
      if (typeof r !== 'string') { bytes = r; got = n; break; }
    }
    response.body = { address: `0x${addr.toString(16)}`, data: Buffer.from(bytes).toString('base64'), unreadableBytes: count - got };
    this.sendResponse(response);
  }

  protected override writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): void {
    const rt = this.needRuntime(response);
    const addr = rt && this.address(response, args.memoryReference, args.offset);
    if (!rt || addr === undefined) return;
    const bytes = Uint8Array.from(Buffer.from(args.data, 'base64'));
    const err = rt.run.vm.writeMemory(addr, bytes);
    if (err) { this.sendErrorResponse(response, 1008, err); return; }
    response.body = { bytesWritten: bytes.length };
    this.sendResponse(response);
  }

  protected override disassembleRequest(response: DebugProtocol.DisassembleResponse, args: DebugProtocol.DisassembleArguments): void {
    const rt = this.needRuntime(response);
    if (!rt) return;
    let base: number;
    try { base = Number(BigInt(args.memoryReference) / 8n) + (args.offset ?? 0) / 8 + (args.instructionOffset ?? 0); } catch { this.sendErrorResponse(response, 1007, `bad memory reference ${args.memoryReference}`); return; }
    const insns = rt.program.insns;
    const out: DebugProtocol.DisassembledInstruction[] = [];
    for (let k = 0; k < args.instructionCount; k++) {
      const pc = Math.floor(base) + k;
      if (pc < 0 || pc >= insns.length) {
        out.push({ address: `0x${(Math.max(pc, 0) * 8).toString(16)}`, instruction: '', presentationHint: 'invalid' });
        continue;
      }
      const pos = rt.program.lines[pc];
      out.push({
        address: `0x${(pc * 8).toString(16)}`,
        instructionBytes: slotHex(insns[pc]),
        instruction: printInsn(insns, pc, { dialect: 'llvm' }),
        ...(pos ? { line: pos.line + 1, location: this.sourceFor(pos.file) } : {}),
      });
    }
    response.body = { instructions: out };
    this.sendResponse(response);
  }

  /**
   * Ours, for the extension's Maps view: `ebpf/maps` lists every map and its entries now;
   * `ebpf/setMapValue {map, key, value}` writes one (key in hex, value in hex or an integer);
   * `ebpf/coverage` counts, per source line, the instructions the session has run so far (by
   * running its inputs again up to its position, so that stepping itself counts nothing).
   */
  protected override customRequest(command: string, response: DebugProtocol.Response, args: { map?: string; key?: string; value?: string }): void {
    const rt = this.needRuntime(response);
    if (!rt) return;
    if (command === 'ebpf/maps') {
      response.body = {
        maps: [...rt.mapSet.values()].map((m) => ({
          name: m.name, type: m.def.type, keySize: m.def.keySize, valueSize: m.def.valueSize,
          entries: mapEntries(m).map((e) => ({ key: Buffer.from(e.key).toString('hex'), keyText: e.keyText, valueText: e.valueText })),
        })),
      };
      this.sendResponse(response);
      return;
    }
    if (command === 'ebpf/coverage') {
      const ran = executedCounts(rt.input.object, rt.input.ref, rt.input.progType, { ...rt.input, maxInsns: rt.position });
      const lines = ran.program ? executedLines(ran.program, ran.counts) : [];
      response.body = { lines: lines.map((l) => ({ file: resolve(l.file ?? this.launched!.sourcePath), line: l.line, executed: l.executed })) };
      this.sendResponse(response);
      return;
    }
    if (command === 'ebpf/setMapValue') {
      const m = args.map ? rt.mapSet.get(args.map) : undefined;
      if (!m || typeof args.key !== 'string' || typeof args.value !== 'string') { this.sendErrorResponse(response, 1010, 'ebpf/setMapValue takes {map, key (hex), value}'); return; }
      const key = Uint8Array.from(Buffer.from(args.key, 'hex'));
      const value = valueBytes(args.value, m.def.valueSize, () => {
        const v = evaluateText(args.value!, this.vars!.evalEnv());
        if (!v.ok) throw new Error(v.error);
        return v.value;
      });
      const err = m.sysUpdate(key, value, 0);
      if (err !== 0) { this.sendErrorResponse(response, 1011, `${m.name}: update failed (${err})`); return; }
      this.sendResponse(response);
      return;
    }
    this.sendErrorResponse(response, 1012, `unknown request ${command}`);
  }

  protected override dispatchRequest(request: DebugProtocol.Request): void {
    try {
      super.dispatchRequest(request);
    } catch (e) {
      const response: DebugProtocol.Response = { type: 'response', seq: 0, request_seq: request.seq, command: request.command, success: false, message: (e as Error).message };
      this.sendResponse(response);
    }
  }
}

/** `map:NAME:KEYHEX` or `stack:DEPTH:OFFSET:SIZE` (the dataIds Variables hands out). */
function parseDataId(dataId: string, id: number): DebugRuntime['watches'][number] | undefined {
  const m = /^map:([^:]+):([0-9a-f]*)$/.exec(dataId);
  if (m) return { id, kind: 'map', map: m[1], key: Uint8Array.from((m[2].match(/../g) ?? []).map((h) => parseInt(h, 16))) };
  const s = /^stack:(\d+):(-\d+):(\d+)$/.exec(dataId);
  if (s) return { id, kind: 'stack', depth: Number(s[1]), offset: Number(s[2]), size: Number(s[3]) };
  return undefined;
}

export { hexAddress };
