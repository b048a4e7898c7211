// Markdown for bench/RESULTS.md: tables, target verdicts, the machine.
import * as os from 'node:os';
import { fmt } from './harness.js';

/** A target of the issue: passed, failed, or not measured in this run (`ok` undefined). */
export interface Check {
  readonly ok: boolean | undefined;
  readonly text: string;
}

export const check = (ok: boolean | undefined, text: string): Check => ({ ok, text });

export const verdictLine = ({ ok, text }: Check): string => `- ${ok === undefined ? 'SKIP' : ok ? 'PASS' : 'FAIL'}: ${text}`;

/** One workload's part of the report. */
export interface Section {
  readonly title: string;
  /** Tables and notes, in Markdown. */
  readonly body: string;
  readonly checks: readonly Check[];
}

/** A Markdown table; numbers are formatted, strings kept. */
export function mdTable(head: readonly string[], rows: readonly (readonly (string | number | undefined)[])[]): string {
  const cell = (v: string | number | undefined): string => (typeof v === 'number' || v === undefined ? fmt(v) : v);
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---:|').join('')}`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

/** `a ÷ b` as "12.3×", or "—" when either is missing. */
export const times = (a: number | undefined, b: number | undefined): string =>
  a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0 ? '—' : `${fmt(a / b)}×`;

/** CPU, cores, memory, Node, kernel. */
export function machine(): string {
  const cpus = os.cpus();
  const kernel = `${os.type()} ${os.release()} ${os.machine()}`;
  return [
    `- CPU: ${cpus[0]?.model.trim() ?? 'unknown'}, ${cpus.length} cores`,
    `- memory: ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `- Node ${process.version} (V8 ${process.versions.v8}), ${kernel}`,
  ].join('\n');
}

export interface Report {
  readonly startedAt: Date;
  readonly seconds: number;
  readonly sizes: readonly number[];
  readonly quick: boolean;
  readonly sections: readonly Section[];
}

export function renderReport({ startedAt, seconds, sizes, quick, sections }: Report): string {
  const checks = sections.flatMap((s) => s.checks);
  return [
    '# Benchmark results',
    '',
    `Run on ${startedAt.toISOString().replace('T', ' ').slice(0, 16)} UTC by \`npm run bench\` (${Math.round(seconds)} s${quick ? ', BENCH_QUICK=1: fewer repetitions' : ''}), at ${sizes.map((n) => n.toLocaleString('en')).join(', ')} entries.`,
    'Keys are `https://shop.example/product/<i>`, values `true`. Every peer is measured in the same run, on the same machine:',
    '',
    machine(),
    '',
    '## Targets',
    '',
    ...checks.map(verdictLine),
    '',
    ...sections.flatMap((s) => [`## ${s.title}`, '', s.body, '']),
    '![W1 and W2 against state size](chart.svg)',
    '',
  ].join('\n');
}
