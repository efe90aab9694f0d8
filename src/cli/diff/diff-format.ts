import type { Finding, Severity } from './diff-rules';

/** `rivet diff --format json`: every finding, and a count per severity. */
export interface DiffReport {
  findings: Finding[];
  summary: Record<Severity, number>;
}

/** Counts the findings per severity. */
export function diffReport(findings: Finding[]): DiffReport {
  const summary: Record<Severity, number> = { ERR: 0, WARN: 0, INFO: 0 };
  for (const f of findings) summary[f.severity]++;
  return { findings, summary };
}

/** One line per finding (severity, rule, Service.method, message), then the counts. */
export function formatDiffText(report: DiffReport): string {
  if (report.findings.length === 0) return 'no changes';
  const rows = report.findings.map((f) => [f.severity, f.rule, f.method === undefined ? f.service : `${f.service}.${f.method}`, f.message]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => `${r[0].padEnd(widths[0])}  ${r[1].padEnd(widths[1])}  ${r[2].padEnd(widths[2])}  ${r[3]}`);
  const { ERR, WARN, INFO } = report.summary;
  lines.push(`${report.findings.length} ${report.findings.length === 1 ? 'change' : 'changes'}: ${ERR} ERR, ${WARN} WARN, ${INFO} INFO`);
  return lines.join('\n');
}
