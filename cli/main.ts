/**
 * The command line: the same engine as the editor, for terminals and CI.
 * Exit status: 0 success, 1 the program was rejected or faulted or a test failed,
 * 2 bad input or usage (DESIGN.md, Command line).
 */

import { UsageError } from './args';
import { InputError } from './load';
import { ASM_HELP, asmCommand } from './commands/asm';
import { DISASM_HELP, disasmCommand } from './commands/disasm';
import { CONFORMANCE_HELP, conformanceCommand } from './commands/conformance';
import { RUN_HELP, runCommand } from './commands/run';
import { TEST_HELP, testCommand } from './commands/test';
import { VERIFY_HELP, verifyCommand } from './commands/verify';

interface Command {
  summary: string;
  help: string;
  run?: (argv: string[]) => number | Promise<number>;
  /** The issue that brings a command not built yet. */
  pending?: number;
}

const COMMANDS: Record<string, Command> = {
  asm: { summary: 'assemble; report diagnostics, write .o/.bin, print --hex', help: ASM_HELP, run: asmCommand },
  disasm: { summary: 'disassemble an object, .bin or assembly file', help: DISASM_HELP, run: disasmCommand },
  verify: { summary: 'verify every selected program (the Linux verifier\'s verdict)', help: VERIFY_HELP, run: verifyCommand },
  run: { summary: 'run a program on a packet, context or memory', help: RUN_HELP, run: runCommand },
  test: { summary: 'run the cases of FILE.tests.json', help: TEST_HELP, run: testCommand },
  conformance: { summary: 'run bpf_conformance .data files', help: CONFORMANCE_HELP, run: conformanceCommand },
  lsp: {
    summary: 'the language server (--stdio), for any editor',
    help: 'usage: ebpf-workbench lsp --stdio\n\nThe language server over stdio (dist/server.js also takes --node-ipc): diagnostics from the assembler\nand the verifier as you type, hover, completion, navigation, formatting, quick fixes (see the README).',
    run: () => runBundle('server.js'),
  },
  dap: {
    summary: 'the debug adapter (DAP) over stdio, for any DAP client',
    help: 'usage: ebpf-workbench dap\n\nThe Debug Adapter Protocol over stdio (the same adapter as dist/debugAdapter.js). Launch attributes:\nprogram, section, programName, programType, packet, packetFile, pcap, packetIndex, ctx, mem, memFile,\nmaps, env, budget, stopOnEntry (see the README).',
    run: () => runBundle('debugAdapter.js'),
  },
};

/**
 * Runs a protocol server's bundle in this process (it reads --stdio from process.argv
 * itself); the command never returns: the server runs until its client leaves.
 */
function runBundle(file: string): Promise<number> {
  require(require('node:path').join(__dirname, file));
  return new Promise<number>(() => undefined);
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const rows = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}${c.pending ? ` (not built yet: issue #${c.pending})` : ''}`);
  return `usage: ebpf-workbench COMMAND [ARGS]\n\nCommands:\n${rows.join('\n')}\n\n'ebpf-workbench COMMAND --help' describes each.`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`ebpf-workbench: unknown command '${name}'\n${usage()}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(cmd.help + '\n');
    return 0;
  }
  if (!cmd.run) {
    process.stderr.write(`ebpf-workbench ${name}: not built yet (issue #${cmd.pending})\n`);
    return 2;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`ebpf-workbench ${name}: ${e.message}\n${cmd.help}\n`);
      return 2;
    }
    if (e instanceof InputError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => { process.stderr.write(`ebpf-workbench: internal error: ${(e as Error).stack ?? e}\n`); process.exitCode = 70; },
);
