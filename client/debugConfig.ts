/**
 * Debugging without a launch.json: F5 on an open eBPF assembly, classic BPF or object file
 * builds a configuration for it, with the inputs found beside it (`NAME.pcap`, `NAME.maps.json`,
 * `NAME.ctx.json`, also in an `inputs/` folder) or, for programs that take a packet, a sample
 * UDP frame. The program type comes from the section, as the adapter reads it.
 */

import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

/** An Ethernet + IPv4 + UDP frame, for a first run when nothing better is at hand. */
const SAMPLE_FRAME = '000000000000020000000001080045000020000040004011000000000000000000000000003500000800000000000000';

function stem(file: string): string {
  return path.basename(file).replace(/\.(bpf\.s|bpf\.asm|ebpf|s|cbpf|bpf_asm|bpf\.o|o|bin|bpf\.c)$/i, '');
}

/** The launch configuration for a file; `takesPacket` false leaves the sample frame out. */
export function debugConfigurationFor(uri: vscode.Uri, arg: { section?: string; program?: string } = {}, takesPacket = true): vscode.DebugConfiguration {
  const file = uri.fsPath;
  const name = stem(file);
  const near = (suffix: string) => [path.join(path.dirname(file), name + suffix), path.join(path.dirname(file), 'inputs', name + suffix)].find((p) => existsSync(p));
  const pcap = near('.pcap');
  const maps = near('.maps.json');
  const ctx = near('.ctx.json');
  return {
    type: 'ebpf', request: 'launch', name: `Debug ${path.basename(file)}`, program: file, stopOnEntry: true,
    ...(arg.section ? { section: arg.section } : {}), ...(arg.program ? { programName: arg.program } : {}),
    ...(pcap ? { pcap } : takesPacket && !ctx ? { packet: SAMPLE_FRAME } : {}),
    ...(maps ? { maps } : {}),
    ...(ctx ? { ctx: JSON.parse(readFileSync(ctx, 'utf8')) } : {}),
  };
}

/** A C program is built by the adapter with the editor's ebpf.compileCommand, unless the configuration names its own. */
function withCompileCommand(config: vscode.DebugConfiguration): vscode.DebugConfiguration {
  if (typeof config.program !== 'string' || !/\.c$/i.test(config.program) || config.compileCommand !== undefined) return config;
  const command = vscode.workspace.getConfiguration('ebpf').get<string>('compileCommand');
  return command ? { ...config, compileCommand: command } : config;
}

export function registerDebugConfigurations(context: vscode.ExtensionContext): void {
  context.subscriptions.push(vscode.debug.registerDebugConfigurationProvider('ebpf', {
    provideDebugConfigurations: () => [{
      type: 'ebpf', request: 'launch', name: 'Debug the open eBPF file', program: '${file}', packet: SAMPLE_FRAME, stopOnEntry: true,
    }],
    resolveDebugConfiguration: (_folder, config) => {
      if (!config.type && !config.request && !config.name) {
        const doc = vscode.window.activeTextEditor?.document;
        const file = doc?.uri.scheme === 'ebpf-disasm' ? vscode.Uri.file(doc.uri.path) : doc?.uri;
        if (!file || !/\.(bpf\.s|bpf\.asm|ebpf|s|cbpf|bpf_asm|o|bin|bpf\.c)$/i.test(file.fsPath)) {
          void vscode.window.showInformationMessage('Open an eBPF (.bpf.s), C (.bpf.c), classic BPF (.cbpf) or object (.o) file to debug it');
          return undefined;
        }
        return withCompileCommand(debugConfigurationFor(file));
      }
      if (!config.program) {
        void vscode.window.showErrorMessage('The launch configuration needs "program": the file to debug');
        return undefined;
      }
      return withCompileCommand(config);
    },
  }));
}
