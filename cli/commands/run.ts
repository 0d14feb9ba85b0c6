/** `run FILE [selectors] INPUT... [options] [--json]`: run a program in the VM (DESIGN.md, Command line). */

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Diagnostic, hasErrors } from '../../core/diag';
import { BpfObject } from '../../core/object';
import { sectionProgType, progTypeByName } from '../../core/progtypes/table';
import { readCapture } from '../../core/input/pcap';
import { parseCtxJson, parseEnvJson, parseHex, toHex } from '../../core/input/parse';
import { mapsToJson, loadMapsJson } from '../../core/maps/json';
import { DEFAULT_ENV, RunEnv } from '../../core/vm/host';
import { createRun, DEFAULT_BUDGET, mapsForObject, Run, RunResult, selectProgram } from '../../core/vm/run';
import { Stop } from '../../core/vm/machine';
import { MapSet } from '../../core/maps/create';
import { compileProgram, runJit } from '../../core/jit';
import { parse } from '../args';
import { InputError, loadOrFail } from '../load';
import { diskCoreTarget } from '../../server/btfFile';
import { isCbpfFile, loadCbpf, loadCbpfAsEbpf } from '../cbpf';
import { verifyObjectProgram } from '../../core/verifier';
import { linkProgram, ProgramRef } from '../../core/link';
import { createCbpfMachine } from '../../core/cbpf/run';
import { printDiagnostics } from '../report';

export const RUN_HELP = `usage: ebpf-workbench run FILE [--prog-type T] [--section S] [--program NAME] INPUT...
                         [--maps F.json] [--env F.json] [--budget N] [--verify] [--jit] [--repeat N] [--ebpf] [--btf FILE] [--json]

Run a program in the VM, as BPF_PROG_TEST_RUN would run it in the kernel.
INPUT:
  --packet HEX | --packet-file F     the packet (xdp, tc, socket filters, cgroup_skb)
  --pcap F [--pcap-index N]          packets from a libpcap/pcapng capture; without an index, one run per packet
                                     (in compiled code, as with --jit)
  --mem HEX | --mem-file F           the memory of 'raw', or the context bytes of packet-less types
  --ctx JSON | --ctx @F.json         context fields by name, e.g. '{"ingress_ifindex": 2}' or '{"di": 1}'
Options:
  --prog-type T    kernel name (xdp, sched_cls, socket_filter, kprobe...), libbpf section name, or raw
  --maps F.json    initial map contents (the shape 'run --json' prints)
  --env F.json     time, pid, tgid, uid, gid, comm, cpu, cpu count, random seed
  --budget N       instruction budget (default ${DEFAULT_BUDGET})
  --repeat N       run N times, maps carried over (as the kernel's repeat); --json reports nsPerRun
                   (the runs alone) and nsPerRunWithSetup (with building each run's context)
  --verify         verify first with our verifier; a rejected program is not run (exit 1)
  --ebpf           classic BPF: run the eBPF translation (as sched_cls) instead of the classic interpreter
  --btf FILE       the BTF that CO-RE relocations are resolved against (default /sys/kernel/btf/vmlinux)
  --jit            run compiled code (core/jit): the same results as the interpreter's, faster
  --json           print one JSON object
Exit status: 0 ran to exit, 1 a fault, 2 bad input.`;

interface Resolved { obj: BpfObject; ref: ProgramRef; progType: string }

function resolveProgram(file: string, values: Record<string, unknown>, warnings: Diagnostic[]): Resolved {
  const { object } = isCbpfFile(file) ? loadCbpfAsEbpf(file) : loadOrFail(file, { core: diskCoreTarget(values.btf as string | undefined) });
  const sel = selectProgram(object, { section: values.section as string | undefined, program: values.program as string | undefined });
  if ('severity' in sel) throw new InputError(`${file}: ${sel.message}`);
  const fromSection = sectionProgType(sel.section)?.progType;
  const asked = values['prog-type'] as string | undefined;
  let progType: string = fromSection ?? 'socket_filter';
  if (asked) {
    const t = asked === 'raw' ? 'raw' : progTypeByName(asked)?.name;
    if (!t) throw new InputError(`--prog-type: unknown program type '${asked}'`);
    if (fromSection && t !== fromSection) warnings.push({ code: 'prog-type', severity: 'warning', message: `--prog-type ${t} overrides section ${sel.section}'s type ${fromSection}` });
    progType = t;
  }
  if (progType === 'raw' && object.maps.length) throw new InputError(`${file}: maps are not available under --prog-type raw`);
  return { obj: object, ref: sel, progType };
}

function readInput(values: Record<string, unknown>): { packets?: Uint8Array[]; packet?: Uint8Array; mem?: Uint8Array; ctx?: Record<string, unknown> } {
  const hex = (flag: string, text: string) => {
    const b = parseHex(text);
    if (typeof b === 'string') throw new InputError(`--${flag}: ${b}`);
    return b;
  };
  const file = (flag: string, path: string) => {
    try { return new Uint8Array(readFileSync(path)); } catch (e) { throw new InputError(`--${flag} ${path}: cannot read: ${(e as NodeJS.ErrnoException).code ?? e}`); }
  };
  const out: ReturnType<typeof readInput> = {};
  const given = ['packet', 'packet-file', 'pcap'].filter((k) => values[k] !== undefined);
  if (given.length > 1) throw new InputError(`give one of --packet, --packet-file, --pcap (got ${given.map((g) => `--${g}`).join(', ')})`);
  if (values.packet !== undefined) out.packet = hex('packet', values.packet as string);
  if (values['packet-file'] !== undefined) out.packet = file('packet-file', values['packet-file'] as string);
  if (values.pcap !== undefined) {
    const cap = readCapture(file('pcap', values.pcap as string));
    if (hasErrors(cap.diagnostics)) throw new InputError(`--pcap ${values.pcap}: ${cap.diagnostics[0].message}`);
    const index = values['pcap-index'] as string | undefined;
    if (index !== undefined) {
      const n = Number(index);
      if (!Number.isInteger(n) || n < 0 || n >= cap.packets.length) throw new InputError(`--pcap-index ${index}: the capture has ${cap.packets.length} packets (0-${cap.packets.length - 1})`);
      out.packet = cap.packets[n].data;
    } else out.packets = cap.packets.map((p) => p.data);
  }
  if (values.mem !== undefined && values['mem-file'] !== undefined) throw new InputError('give one of --mem, --mem-file');
  if (values.mem !== undefined) out.mem = hex('mem', values.mem as string);
  if (values['mem-file'] !== undefined) out.mem = file('mem-file', values['mem-file'] as string);
  if (values.ctx !== undefined) {
    const text = (values.ctx as string).startsWith('@') ? new TextDecoder().decode(file('ctx', (values.ctx as string).slice(1))) : (values.ctx as string);
    const ctx = parseCtxJson(text);
    if (typeof ctx === 'string') throw new InputError(ctx);
    out.ctx = ctx;
  }
  return out;
}

function positiveInt(values: Record<string, unknown>, flag: string, dflt: number): number {
  const v = values[flag];
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`--${flag} takes a positive integer, not ${String(v)}`);
  return n;
}

export function runCommand(argv: string[]): number {
  const { values, positionals } = parse(argv, {
    'prog-type': { type: 'string' }, section: { type: 'string' }, program: { type: 'string' },
    packet: { type: 'string' }, 'packet-file': { type: 'string' }, pcap: { type: 'string' }, 'pcap-index': { type: 'string' },
    mem: { type: 'string' }, 'mem-file': { type: 'string' }, ctx: { type: 'string' },
    maps: { type: 'string' }, env: { type: 'string' }, budget: { type: 'string' }, repeat: { type: 'string' },
    verify: { type: 'boolean' }, jit: { type: 'boolean' }, json: { type: 'boolean' }, ebpf: { type: 'boolean' }, btf: { type: 'string' },
  });
  if (values.help) { process.stdout.write(RUN_HELP + '\n'); return 0; }
  if (positionals.length !== 1) throw new InputError(`run takes one FILE\n${RUN_HELP}`);
  const file = positionals[0];
  if (isCbpfFile(file) && !values.ebpf) return runClassic(file, values);
  const warnings: Diagnostic[] = [];
  const { obj, ref, progType } = resolveProgram(file, values, warnings);
  const input = readInput(values);
  let env: RunEnv = DEFAULT_ENV;
  if (values.env !== undefined) {
    let text: string;
    try { text = readFileSync(values.env as string, 'utf8'); } catch (e) { throw new InputError(`--env ${values.env}: cannot read: ${(e as NodeJS.ErrnoException).code}`); }
    const e = parseEnvJson(text);
    if (typeof e === 'string') throw new InputError(e);
    env = e;
  }
  const budget = positiveInt(values, 'budget', DEFAULT_BUDGET);
  const repeat = positiveInt(values, 'repeat', 1);
  if (values.verify && progType !== 'raw') {
    const verdict = verifyObjectProgram(obj, ref, { progType, attachType: sectionProgType(ref.section)?.expectedAttachType });
    if (!verdict.accepted) {
      const { program } = linkProgram(obj, ref);
      printDiagnostics(file, verdict.diagnostics.map((d) => ({ ...d, span: d.insnIdx !== undefined ? program.lines[d.insnIdx] : d.span })));
      process.stderr.write(`${file}: rejected by the verifier (${progType}); not run\n`);
      return 1;
    }
  }

  const maps = mapsForObject(obj, env);
  if (hasErrors(maps.diagnostics)) throw new InputError(`${file}: ${maps.diagnostics[0].message}`);
  if (values.maps !== undefined) {
    let json: unknown;
    try { json = JSON.parse(readFileSync(values.maps as string, 'utf8')); } catch (e) { throw new InputError(`--maps ${values.maps}: ${(e as Error).message}`); }
    const diags = loadMapsJson(maps, json);
    if (hasErrors(diags)) throw new InputError(`--maps ${values.maps}: ${diags.filter((d) => d.severity === 'error').map((d) => d.message).join('; ')}`);
  }
  printDiagnostics(file, warnings);

  /** A run set up; a packet the kernel would refuse comes back as `refused` (in a capture, that packet's failure). */
  const prepare = (packet: Uint8Array | undefined, mem?: Uint8Array): { run?: Run; refused: string; diagnostics: Diagnostic[] } => {
    const { run, diagnostics } = createRun(obj, ref, { progType, env, budget, maps, input: { packet, mem, ctxFields: input.ctx } });
    return { run, diagnostics, refused: diagnostics.find((d) => d.severity === 'error')?.message ?? 'cannot run' };
  };
  const exec = (run: Run): Stop => (values.jit ? runJit(run.vm) : run.vm.run());

  if (input.packets) {
    const packets = input.packets;
    // A whole capture always runs compiled code: its results are the interpreter's (test/jit), and
    // one compilation serves every packet. Compiling (once, cached by program) counts as setup.
    const prepareCompiled = (k: number) => {
      const p = prepare(packets[k]);
      if (p.run) compileProgram(p.run.vm.program);
      return p;
    };
    const timing = timedRuns(packets.length, prepareCompiled, (run) => runJit(run.vm), maps, { stopOnRefused: false });
    const results = timing.results;
    const faulted = results.some((r) => 'refused' in r || r.stop.reason !== 'exit');
    const packetVerdict = (r: RunResult | { refused: string }) => ('refused' in r ? { exit: 'fault' as const, error: r.refused } : verdict(r));
    if (values.json) {
      process.stdout.write(JSON.stringify({
        packets: results.map((r, index) => ({ index, ...packetVerdict(r) })),
        maps: mapsToJson(maps), nsPerRun: timing.nsPerRun, nsPerRunWithSetup: timing.nsPerRunWithSetup,
      }) + '\n');
    } else {
      results.forEach((r, k) => process.stdout.write(`packet ${k}: ${'refused' in r ? `refused: ${r.refused}` : describe(r)}\n`));
    }
    return faulted ? 1 : 0;
  }

  const timing = timedRuns(repeat, () => prepare(input.packet, input.mem), exec, maps, { stopOnRefused: true });
  const first = timing.results.find((r) => 'refused' in r);
  if (first && 'refused' in first) {
    printDiagnostics(file, first.diagnostics);
    throw new InputError(`${file}: ${first.refused}`, true);
  }
  const last = timing.results[timing.results.length - 1] as RunResult;
  if (values.json) {
    process.stdout.write(JSON.stringify({
      ...verdict(last), insns: last.insns,
      ...(last.packet && progType !== 'raw' ? { packet: toHex(last.packet) } : {}),
      maps: mapsToJson(maps),
      events: last.output.events.map((e) => ({ map: e.map, data: toHex(e.data) })),
      printk: last.output.printk, nsPerRun: timing.nsPerRun, nsPerRunWithSetup: timing.nsPerRunWithSetup,
    }) + '\n');
  } else {
    process.stdout.write(`${describe(last)}, ${last.insns} instructions\n`);
    for (const line of last.output.printk) process.stdout.write(`printk: ${line}\n`);
    for (const e of last.output.events) process.stdout.write(`event ${e.map}: ${toHex(e.data)}\n`);
    if (last.packet && progType !== 'raw') process.stdout.write(`packet: ${toHex(last.packet)}\n`);
  }
  return last.stop.reason === 'exit' ? 0 : 1;
}

/** Runs set up ahead of time, in batches, so that setting up (context, packet, memory) is kept out of `nsPerRun`. */
const BATCH = 1000;

/**
 * `n` runs in order, maps carried from one to the next (they share them), until one does not
 * exit (or, with `stopOnRefused`, one is refused). Times the runs alone, a batch at a time, and
 * the whole with the setting up.
 */
function timedRuns(
  n: number,
  prepare: (k: number) => { run?: Run; refused: string; diagnostics: Diagnostic[] },
  exec: (run: Run) => Stop,
  maps: MapSet,
  opts: { stopOnRefused: boolean },
): { results: (RunResult | { refused: string; diagnostics: Diagnostic[] })[]; nsPerRun: number; nsPerRunWithSetup: number } {
  const results: (RunResult | { refused: string; diagnostics: Diagnostic[] })[] = [];
  let runMs = 0;
  const t0 = performance.now();
  let done = false;
  for (let base = 0; base < n && !done; base += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, n - base) }, (_, k) => prepare(base + k));
    const events = new Int32Array(batch.length + 1); // the map events each run left: events[k] to events[k + 1]
    let ran = 0;
    const t = performance.now();
    for (; ran < batch.length; ran++) {
      events[ran] = maps.events.length;
      const run = batch[ran].run;
      if (!run) { if (opts.stopOnRefused) { done = true; ran++; break; } continue; }
      if (exec(run).reason !== 'exit') { done = true; events[ran + 1] = maps.events.length; ran++; break; }
    }
    runMs += performance.now() - t;
    events[ran] = maps.events.length;
    for (let k = 0; k < ran; k++) {
      const p = batch[k];
      if (!p.run) { results.push({ refused: p.refused, diagnostics: p.diagnostics }); continue; }
      const r = p.run.result();
      r.output.events = r.output.events.slice(0, events[k + 1] - events[k]);
      results.push(r);
    }
  }
  const count = Math.max(1, results.length);
  return { results, nsPerRun: Math.round((runMs * 1e6) / count), nsPerRunWithSetup: Math.round(((performance.now() - t0) * 1e6) / count) };
}

function verdict(r: RunResult): { exit: 'ok' | 'fault'; r0?: string; retval?: number; error?: string } {
  if (r.stop.reason === 'exit' && r.r0 !== undefined) {
    return { exit: 'ok', r0: r.r0.toString(), retval: Number(r.r0 & 0xffffffffn) };
  }
  return { exit: 'fault', error: r.stop.message ?? r.stop.reason };
}

function describe(r: RunResult): string {
  const v = verdict(r);
  return v.exit === 'ok' ? `retval ${v.retval} (r0 = 0x${r.r0!.toString(16)})` : `fault: ${v.error}`;
}

/**
 * A classic filter, run as tcpdump runs it on each frame from the Ethernet header: the
 * verdict is the number of bytes to keep, 0 to drop. One packet, or one run per pcap packet.
 */
function runClassic(file: string, values: Record<string, unknown>): number {
  const { insns, refused } = loadCbpf(file);
  if (refused) throw new InputError(`${file}: refused by the classic checker`);
  const input = readInput(values);
  const packets = input.packets ?? [input.packet ?? new Uint8Array(0)];
  const results = packets.map((p) => {
    const m = createCbpfMachine(insns, p);
    const verdict = m.run();
    return { verdict, steps: m.state.steps, fault: m.state.fault };
  });
  if (values.json) {
    const one = (r: (typeof results)[number]) => (r.fault ? { exit: 'fault', error: r.fault } : { exit: 'ok', r0: String(r.verdict), retval: r.verdict });
    const body = input.packets ? { packets: results.map((r, index) => ({ index, ...one(r) })) } : { ...one(results[0]), insns: results[0].steps };
    process.stdout.write(JSON.stringify(body) + '\n');
  } else {
    results.forEach((r, k) => process.stdout.write(`${input.packets ? `packet ${k}: ` : ''}${r.fault ? `fault: ${r.fault}` : r.verdict ? `accept (keep ${r.verdict} bytes)` : 'drop'}\n`));
  }
  return results.some((r) => r.fault) ? 1 : 0;
}
