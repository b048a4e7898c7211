// Shared helpers of the benchmarks: sizes, timing, state builders, peers, tables.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { KeyedMap } from '../src/index.js';

export const SIZES = (process.env.BENCH_SIZES ?? '1000,10000,100000,200000,1000000').split(',').map(Number);
export const QUICK = process.env.BENCH_QUICK === '1';

export const keyOf = (i: number): string => `https://shop.example/product/${i}`;

export interface Row {
  readonly size: number;
  readonly [impl: string]: number;
}

/** Microseconds per call of `fn`, over `reps` calls after a warm-up. */
export function microsPerCall(reps: number, fn: (i: number) => void): number {
  for (let i = 0; i < Math.min(2_000, reps); i++) fn(-1 - i); // let the JIT settle
  const start = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) fn(i);
  return Number(process.hrtime.bigint() - start) / 1e3 / reps;
}

/** Median of `samples` awaited runs of `fn`, in ms. */
export async function medianMs(samples: number, fn: (i: number) => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = process.hrtime.bigint();
    await fn(i);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

export function keyedState(size: number): { done: number; seen: KeyedMap<true> } {
  const seen = new KeyedMap<true>();
  for (let i = 0; i < size; i++) seen.set(keyOf(i), true);
  return { done: size, seen };
}

export function plainState(size: number): { done: number; seen: Record<string, true> } {
  const seen: Record<string, true> = {};
  for (let i = 0; i < size; i++) seen[keyOf(i)] = true;
  return { done: size, seen };
}

export function tempDir(name: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), `rxps-bench-${name}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export const fmt = (value: number | undefined): string =>
  value === undefined || Number.isNaN(value) ? '—' : value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toFixed(3);

/** A Markdown table: one row per size, one column per implementation, then ratios to ours. */
export function table(title: string, unit: string, rows: readonly Row[], ours = 'rx-persistent-store'): string {
  const impls = [...new Set(rows.flatMap((r) => Object.keys(r).filter((k) => k !== 'size')))];
  const peers = impls.filter((i) => i !== ours);
  const head = `| entries | ${impls.map((i) => `${i} (${unit})`).join(' | ')} | ${peers.map((p) => `${p} ÷ ours`).join(' | ')} |`;
  const line = `|${'---|'.repeat(1 + impls.length + peers.length)}`;
  const body = rows.map((r) => `| ${r.size.toLocaleString('en')} | ${impls.map((i) => fmt(r[i])).join(' | ')} | ${peers.map((p) => (r[p] && r[ours] ? `${fmt(r[p] / r[ours])}×` : '—')).join(' | ')} |`);
  return [`### ${title}`, '', head, line, ...body, ''].join('\n');
}
