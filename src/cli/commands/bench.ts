import { isRpcError } from '../../errors';
import { runBench } from '../bench/bench-runner';
import { formatBenchReport } from '../bench/bench-stats';
import { BenchProgress } from '../bench/progress';
import { exitCodeOf } from '../exit-codes';
import type { Output } from '../output';
import type { CallSettings } from '../reflection-client';
import type { Target } from '../target';

/** How `rivet bench` is asked to run. */
export interface BenchFlags {
  total: number | undefined;
  durationMs: number | undefined;
  concurrency: number;
  rate: number | undefined;
  /** false: never draw the progress bar; otherwise it appears once a run has lasted a second. */
  progress: boolean | undefined;
}

/**
 * Calls `service.method(...args)` over and over and reports count, errors by code, calls/s and
 * latency percentiles. Exits 0 when at least one call succeeded; when every call failed, with the
 * first failure's code (its JSON on stderr, after the report).
 */
export async function runBenchCommand(
  target: Target,
  service: string,
  method: string,
  args: unknown[],
  s: CallSettings,
  flags: BenchFlags,
  format: string,
  out: Output,
): Promise<number> {
  if ((await target.addressesOf(service)).length === 0) {
    throw target.unknownService(service);
  }
  const client = target.client();
  const stream = out.io.stderr as NodeJS.WritableStream & { isTTY?: boolean };
  const progress = flags.progress === false ? null : new BenchProgress(stream, flags.total, flags.durationMs);
  let run;
  try {
    run = await runBench({
      total: flags.total,
      durationMs: flags.durationMs,
      concurrency: flags.concurrency,
      rate: flags.rate,
      call: (signal) => client.invoke(service, method, args, s.timeoutMs === undefined ? { metadata: s.metadata, signal } : { metadata: s.metadata, signal, timeoutMs: s.timeoutMs }),
      onProgress: progress === null ? undefined : (n) => progress.update(n),
    });
  } finally {
    progress?.stop();
  }
  const { stats } = run;
  const firstErrors = [...stats.firstErrors.values()];
  const report = stats.report(run.elapsedMs, flags.concurrency, flags.rate);
  for (const [code, err] of [...stats.firstErrors].sort(([a], [b]) => (a < b ? -1 : 1))) out.note(`${report.errors[code]} × ${code}, e.g. ${err.message}`);
  if (format === 'json') out.json(report);
  else out.text(formatBenchReport(report));
  if (report.ok === 0 && firstErrors.length > 0 && isRpcError(firstErrors[0])) {
    out.rpcError(firstErrors[0]);
    return exitCodeOf(firstErrors[0].code);
  }
  return 0;
}
