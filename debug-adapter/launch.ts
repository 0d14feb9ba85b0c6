/**
 * The launch configuration: what a user writes in launch.json (its JSON schema is in
 * package.json), read into the runtime's input. The files it names are read here; core
 * gets bytes and text. Every problem is one message naming the attribute.
 */

import { readFileSync } from 'node:fs';
import { DebugProtocol } from '@vscode/debugprotocol';
import { hasErrors } from '../core/diag';
import { loadFile } from '../core/load';
import { diskCoreTarget } from '../server/btfFile';
import { sectionProgType, progTypeByName } from '../core/progtypes/table';
import { selectProgram } from '../core/vm/run';
import { readCapture } from '../core/input/pcap';
import { parseEnvJson, parseHex } from '../core/input/parse';
import { DebugInput } from '../core/debug/runtime';

export interface LaunchArguments extends DebugProtocol.LaunchRequestArguments {
  /** Assembly, an ELF object, a .bin, or classic BPF. */
  program: string;
  section?: string;
  /** A program of the object by name (`program` names the file). */
  programName?: string;
  programType?: string;
  packet?: string;
  packetFile?: string;
  pcap?: string;
  /** One packet of the capture; all of them in turn when absent. */
  packetIndex?: number;
  ctx?: Record<string, unknown>;
  mem?: string;
  memFile?: string;
  /** Initial map contents (the shape `run --json` prints): a JSON file, or the object itself. */
  maps?: string | Record<string, unknown>;
  /** The environment (time, pid, cpu count, random seed), as `run --env`: a JSON file, or the object itself. */
  env?: string | Record<string, unknown>;
  budget?: number;
  stopOnEntry?: boolean;
  /** Stop before this instruction (a slot index) is first reached: "Debug this error" stops before the rejected one. */
  stopBeforeInsn?: number;
  /** The BTF file CO-RE relocations are resolved against; the kernel's /sys/kernel/btf/vmlinux when absent. */
  btf?: string;
  /** How a C `program` is built (the editor's ebpf.compileCommand): `${file}` the source, `${out}` the object. */
  compileCommand?: string;
}

export interface Launched {
  input: DebugInput;
  /** The source file the program's lines are in (the assembly or classic file itself, or the object). */
  sourcePath: string;
  text?: string;
}

const read = (what: string, path: string): Uint8Array => {
  try { return new Uint8Array(readFileSync(path)); } catch (e) { throw new Error(`${what} ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? e})`); }
};

/**
 * Reads the configuration. A C source (`program` ending in `.c`) comes with `built`: the
 * object the session built from it (debug-adapter/session.ts); its lines are the C file's.
 */
export function readLaunch(args: LaunchArguments, built?: Uint8Array): Launched {
  if (typeof args.program !== 'string' || !args.program) throw new Error('launch: "program" (the file to debug) is required');
  const bytes = built ?? read('program', args.program);
  if (args.btf !== undefined && typeof args.btf !== 'string') throw new Error('btf: the path of a BTF file');
  const core = diskCoreTarget(args.btf);
  const loaded = loadFile(built ? args.program.replace(/\.c$/i, '.o') : args.program, bytes, { core });
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (hasErrors(loaded.diagnostics)) {
    const first = errors[0];
    throw new Error(`${args.program}${first.span ? `:${first.span.line + 1}` : ''}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`);
  }
  const ref = selectProgram(loaded.object, { section: args.section, program: args.programName });
  if ('severity' in ref) throw new Error(`${args.program}: ${ref.message}`);
  let progType: string = sectionProgType(ref.section)?.progType ?? 'socket_filter';
  if (args.programType) {
    const t = args.programType === 'raw' ? 'raw' : progTypeByName(args.programType)?.name;
    if (!t) throw new Error(`programType: unknown program type '${args.programType}'`);
    progType = t;
  }

  const given = ['packet', 'packetFile', 'pcap'].filter((k) => (args as unknown as Record<string, unknown>)[k] !== undefined);
  if (given.length > 1) throw new Error(`give one of packet, packetFile, pcap (got ${given.join(', ')})`);
  let packets: (Uint8Array | undefined)[] = [undefined];
  if (args.packet !== undefined) packets = [hex('packet', args.packet)];
  if (args.packetFile !== undefined) packets = [read('packetFile', args.packetFile)];
  if (args.pcap !== undefined) {
    const cap = readCapture(read('pcap', args.pcap));
    if (hasErrors(cap.diagnostics)) throw new Error(`pcap ${args.pcap}: ${cap.diagnostics[0].message}`);
    if (cap.packets.length === 0) throw new Error(`pcap ${args.pcap}: the capture holds no packets`);
    packets = cap.packets.map((p) => p.data);
    if (args.packetIndex !== undefined) {
      if (!Number.isInteger(args.packetIndex) || args.packetIndex < 0 || args.packetIndex >= packets.length) {
        throw new Error(`packetIndex ${args.packetIndex}: the capture has ${packets.length} packets (0-${packets.length - 1})`);
      }
      packets = [packets[args.packetIndex]];
    }
  }
  if (args.mem !== undefined && args.memFile !== undefined) throw new Error('give one of mem, memFile');
  const mem = args.mem !== undefined ? hex('mem', args.mem) : args.memFile !== undefined ? read('memFile', args.memFile) : undefined;
  let maps: unknown;
  if (args.maps !== null && typeof args.maps === 'object' && !Array.isArray(args.maps)) {
    maps = args.maps;
  } else if (args.maps !== undefined) {
    if (typeof args.maps !== 'string') throw new Error('maps: a JSON file, or an object of maps by name');
    try { maps = JSON.parse(new TextDecoder().decode(read('maps', args.maps))); } catch (e) { throw new Error(`maps ${args.maps}: ${(e as Error).message}`); }
  }
  let env;
  if (args.env !== undefined) {
    const inline = args.env !== null && typeof args.env === 'object' && !Array.isArray(args.env);
    if (!inline && typeof args.env !== 'string') throw new Error('env: a JSON file, or an object of environment fields');
    const e = parseEnvJson(inline ? JSON.stringify(args.env) : new TextDecoder().decode(read('env', args.env as string)));
    if (typeof e === 'string') throw new Error(`env${inline ? '' : ` ${args.env as string}`}: ${e}`);
    env = e;
  }
  if (args.budget !== undefined && (!Number.isInteger(args.budget) || args.budget < 1)) throw new Error(`budget: a positive integer, not ${args.budget}`);
  if (args.ctx !== undefined && (typeof args.ctx !== 'object' || args.ctx === null || Array.isArray(args.ctx))) throw new Error('ctx: an object of field values by name');
  return {
    input: { object: loaded.object, ref, progType, packets, ctxFields: args.ctx, mem, maps, env, budget: args.budget },
    sourcePath: args.program,
    text: loaded.format === 'asm' || loaded.format === 'cbpf' ? new TextDecoder().decode(bytes) : undefined,
  };
}

function hex(what: string, text: string): Uint8Array {
  const b = parseHex(text);
  if (typeof b === 'string') throw new Error(`${what}: ${b}`);
  return b;
}
