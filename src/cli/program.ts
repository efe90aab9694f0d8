import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { isRpcError, RivetConfigError } from '../errors';
import { runBenchCommand } from './commands/bench';
import { runCall } from './commands/call';
import { callSettings, type Flags, outputOption, splitMethod, withCall, withTarget } from './commands/common';
import { runDescribe } from './commands/describe';
import { runDiff } from './commands/diff';
import { runHealth } from './commands/health';
import { runLs } from './commands/ls';
import { runManifest } from './commands/manifest';
import { parseDurationMs, parsePositiveInt, parsePositiveNumber } from './duration';
import { CliFailure, EXIT_FAILURE, EXIT_USAGE, exitCodeOf, exitCodeTable, UsageError } from './exit-codes';
import { readCallArgs } from './json-args';
import { type CliIo, Output } from './output';
import { Target } from './target';

const DEFAULT_BENCH_CALLS = 10_000;
const DEFAULT_BENCH_CONCURRENCY = 10;

const TARGET_HELP = `
TARGET is --addr host:port (repeatable or comma-separated; default $RIVET_ADDR) or --etcd http://127.0.0.1:2379 [--prefix /rivet/services].
Only results go to stdout; a failed call prints {"code","message","details"} as JSON on stderr.`;

/** The version of the installed rivet-rpc (dist/cli/ is two levels below package.json). */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Runs a command that talks to services: builds the target, always closes it. */
async function withTargetRun(flags: Flags, out: Output, body: (target: Target) => Promise<number>): Promise<number> {
  const target = new Target(flags, out, callSettings(flags).metadata);
  try {
    return await body(target);
  } finally {
    await target.close();
  }
}

/**
 * Runs the `rivet` command line over `argv` (without the node and script entries) and resolves
 * with the exit code. Never rejects and never exits the process: errors become exit codes, with
 * their message or JSON on stderr.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const out = new Output(io);
  let code = 0;
  const program = new Command('rivet');
  program
    .description('List, describe, call, health-check and benchmark Rivet services; write and compare contract manifests.')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .version(packageVersion(), '-V, --version', 'print the rivet-rpc version')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .addHelpText('after', `${TARGET_HELP}\n\nExit codes:\n${exitCodeTable()}\n\nDocs: docs/cli.md in rivet-rpc.`);

  const sub = (name: string, description: string): Command =>
    program
      .command(name)
      .description(description)
      .exitOverride()
      .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
      .showHelpAfterError('(add --help for usage)');

  withCall(withTarget(sub('ls', 'list services: versions, method count, live instances')))
    .addOption(outputOption())
    .addHelpText('after', TARGET_HELP)
    .action(async (flags: Flags) => {
      code = await withTargetRun(flags, out, (t) => runLs(t, callSettings(flags), flags.output ?? 'table', out));
    });

  withCall(withTarget(sub('describe', 'show methods: parameters, arity, idempotent, timeoutMs, stream kind, version').argument('<what>', 'Service or Service.method')))
    .addOption(outputOption())
    .addHelpText('after', TARGET_HELP)
    .action(async (what: string, flags: Flags) => {
      code = await withTargetRun(flags, out, (t) => runDescribe(t, what, callSettings(flags), flags.output ?? 'table', out));
    });

  withCall(withTarget(sub('call', 'call a method with JSON arguments; prints the result as JSON (a stream: each message)').argument('<method>', 'Service.method').argument('[ARGS_JSON]', "a JSON array of the positional arguments, e.g. '[7,8]'"), { instance: true }))
    .option('-d, --data <json|@file|@->', 'the arguments from a string, a file (@args.json) or stdin (@-)')
    .addOption(new Option('-o, --output <format>', 'json: the result on one line').choices(['json']))
    .addHelpText('after', TARGET_HELP)
    .action(async (what: string, argsJson: string | undefined, flags: Flags & { data?: string }) => {
      const { service, method } = splitMethod(what);
      const args = readCallArgs(argsJson, flags.data, io.readStdin);
      code = await withTargetRun(flags, out, (t) => runCall(t, service, method, args, callSettings(flags), flags.output ?? 'pretty', out));
    });

  withCall(withTarget(sub('health', "check rivet.Health: exit 0 when every service is SERVING").argument('[service]', 'one service (default: every service)'), { instance: true }))
    .addOption(outputOption())
    .addHelpText('after', TARGET_HELP)
    .action(async (service: string | undefined, flags: Flags) => {
      code = await withTargetRun(flags, out, (t) => runHealth(t, service, callSettings(flags), flags.output ?? 'table', out));
    });

  withCall(withTarget(sub('bench', 'call a method repeatedly; report calls/s, errors by code and latency percentiles').argument('<method>', 'Service.method').argument('[ARGS_JSON]', 'a JSON array of the positional arguments'), { instance: true }))
    .option('-d, --data <json|@file|@->', 'the arguments from a string, a file or stdin')
    .option('-n, --total <calls>', `calls in all (default ${DEFAULT_BENCH_CALLS} unless -z is given)`)
    .option('-c, --concurrency <calls>', `calls in flight at once (default ${DEFAULT_BENCH_CONCURRENCY})`)
    .option('-z, --duration <duration>', 'stop after this long (10s, 1m), cancelling calls in flight')
    .option('--rate <calls-per-second>', 'open loop: start calls at this rate whatever the replies do')
    .option('--progress', 'draw the progress bar on stderr once a run has lasted a second (the default)')
    .option('--no-progress', 'never draw the progress bar')
    .addOption(outputOption())
    .addHelpText('after', `${TARGET_HELP}\nThe progress bar (stderr) appears once a run has lasted a second: redrawn on a terminal, a line a second elsewhere.`)
    .action(async (what: string, argsJson: string | undefined, flags: Flags & { data?: string; total?: string; concurrency?: string; duration?: string; rate?: string; progress?: boolean }) => {
      const { service, method } = splitMethod(what);
      const args = readCallArgs(argsJson, flags.data, io.readStdin);
      const durationMs = flags.duration === undefined ? undefined : parseDurationMs('-z', flags.duration);
      const total = flags.total !== undefined ? parsePositiveInt('-n', flags.total) : durationMs === undefined ? DEFAULT_BENCH_CALLS : undefined;
      const bench = {
        total,
        durationMs,
        concurrency: flags.concurrency === undefined ? DEFAULT_BENCH_CONCURRENCY : parsePositiveInt('-c', flags.concurrency),
        rate: flags.rate === undefined ? undefined : parsePositiveNumber('--rate', flags.rate),
        progress: flags.progress,
      };
      code = await withTargetRun(flags, out, (t) => runBenchCommand(t, service, method, args, callSettings(flags), bench, flags.output ?? 'table', out));
    });

  sub('manifest', 'write the contract manifest of the @Service classes in TypeScript sources (no code is run)')
    .argument('<sources...>', 'files or globs of .ts sources')
    .option('-o, --output <file>', 'write to this file (default: stdout)')
    .action((sources: string[], flags: { output?: string }) => {
      code = runManifest(sources, flags.output, out);
    });

  sub('diff', 'compare two contract manifests; exit 1 when a change breaks callers (an ERR)')
    .argument('<old>', 'the manifest callers were built against (e.g. from main)')
    .argument('<new>', 'the manifest of the change')
    .addOption(new Option('--format <format>', 'text for people, json for CI').choices(['text', 'json']).default('text'))
    .addHelpText('after', '\nRules and severities: docs/cli.md#diff-rules.')
    .action((oldFile: string, newFile: string, flags: { format: string }) => {
      code = runDiff(oldFile, newFile, flags.format, out);
    });

  try {
    await program.parseAsync(commandFirst(argv, program.commands.map((c) => c.name())), { from: 'user' });
    return code;
  } catch (err) {
    return failure(err, out);
  }
}

/**
 * `rivet --addr host:port ls`, as grpcurl users type it: the flags before the command are the
 * command's own, so the command moves to the front. `--help` and `--version` stay the program's.
 */
export function commandFirst(argv: readonly string[], commands: readonly string[]): string[] {
  const first = argv[0];
  if (first === undefined || !first.startsWith('-') || ['-h', '--help', '-V', '--version'].includes(first)) return [...argv];
  const at = argv.findIndex((a) => commands.includes(a));
  if (at <= 0) return [...argv];
  return [argv[at], ...argv.slice(0, at), ...argv.slice(at + 1)];
}

/** The exit code of what a command threw, after telling stderr about it. */
function failure(err: unknown, out: Output): number {
  if (err instanceof CommanderError) {
    // --help and --version are not failures; commander already printed its message.
    return err.exitCode === 0 ? 0 : EXIT_USAGE;
  }
  if (isRpcError(err)) {
    out.rpcError(err);
    return exitCodeOf(err.code);
  }
  if (err instanceof UsageError) {
    out.note(`${err.message} (add --help for usage)`);
    return EXIT_USAGE;
  }
  if (err instanceof CliFailure) {
    out.note(err.message);
    return err.exitCode;
  }
  if (err instanceof RivetConfigError) {
    out.note(err.message);
    return EXIT_USAGE;
  }
  out.note(`unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return EXIT_FAILURE;
}
