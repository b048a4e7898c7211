// Shared helpers of the benchmarks: sizes, keys, timing, state builders, temp folders.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { KeyedMap } from '../src/index.js';

/** The size the targets name. */
export const TARGET_SIZE = 200_000;

/** 1k, 10k, 100k and 1M entries, plus 200k for the targets; `BENCH_SIZES=1000,10000` overrides. */
export const SIZES: readonly number[] = parseSizes(process.env.BENCH_SIZES) ?? [1_000, 10_000, 100_000, TARGET_SIZE, 1_000_000];

/** `BENCH_QUICK=1`: fewer repetitions, for a quick look (the numbers get noisier). */
export const QUICK = process.env.BENCH_QUICK === '1';

function parseSizes(text: string | undefined): number[] | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const sizes = text.split(',').map((part) => Number(part.trim().replace(/_/g, '')));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`BENCH_SIZES must be positive integers separated by commas, got "${text}"`);
  return [...new Set(sizes)].sort((a, b) => a - b);
}

/** The i-th key of a state: a product URL, as a scraper keeps them. */
export const keyOf = (i: number): string => `https://shop.example/product/${i}`;

/** A row of a workload's results: the state size and one number per measured column. */
export interface Row {
  readonly size: number;
  readonly [column: string]: number;
}

/** Repetitions that fit `budgetMs` at `msEach` per call, between `min` and `max` (halved by BENCH_QUICK). */
export function repsFor(budgetMs: number, msEach: number, min: number, max: number): number {
  const reps = Math.max(min, Math.min(max, Math.floor(budgetMs / Math.max(msEach, 1e-3))));
  return QUICK ? Math.max(min, Math.ceil(reps / 4)) : reps;
}

const now = (): bigint => process.hrtime.bigint();
const msSince = (start: bigint): number => Number(now() - start) / 1e6;

/**
 * µs per call of `fn`: `reps` calls after `warmup` ones (those get arguments below zero), split
 * into `batches` runs of equal length; the median of the batches' means (a batch's mean includes
 * the garbage collections that fall in it; the median keeps one disturbed batch out).
 */
export function microsPerCall(reps: number, warmup: number, fn: (i: number) => void, batches = 1): number {
  for (let i = 0; i < warmup; i++) fn(-1 - i);
  const per = Math.max(1, Math.floor(reps / batches));
  const means: number[] = [];
  for (let b = 0; b < batches; b++) {
    const start = now();
    for (let i = b * per; i < (b + 1) * per; i++) fn(i);
    means.push((msSince(start) * 1e3) / per);
  }
  return median(means.sort((x, y) => x - y));
}

/** The durations of `count` awaited runs of `fn`, in ms, sorted. */
export async function samplesMs(count: number, fn: (i: number) => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = now();
    await fn(i);
    times.push(msSince(start));
  }
  return times.sort((a, b) => a - b);
}

/** Median of `samples` awaited runs of `fn`, in ms (used by bench/w6-queue.ts). */
export async function medianMs(samples: number, fn: (i: number) => Promise<void>): Promise<number> {
  return median(await samplesMs(samples, fn));
}

/** The q-quantile (0..1) of sorted samples, nearest rank. */
export const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
export const median = (sorted: readonly number[]): number => quantile(sorted, 0.5);

/** Time of one awaited call, in ms. */
export async function timeMs(fn: () => Promise<unknown> | unknown): Promise<number> {
  const start = now();
  await fn();
  return msSince(start);
}

/** A full collection, when the process runs with --expose-gc: garbage of one measurement must not land in the next. */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
}

/**
 * Flushes what is pending in the page cache (sync(1)); false where that failed. Linux writes dirty
 * pages back 30 s after they were dirtied: what an earlier workload or a seed copied for another
 * peer wrote was otherwise written back during a durable write that was being timed (in a whole
 * run, W2's first sizes took 0.72–0.82 ms where they take 0.37 alone).
 */
export function flushWrites(): boolean {
  try {
    execFileSync('sync', { timeout: 300_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * A full collection, then a pause: V8 finishes a forced collection on helper threads, and on a
 * 2-core machine that work slowed the next few milliseconds measurably (an fdatasync'd append
 * right after gc() took 5–8 ms instead of 1).
 */
export async function settle(ms = 50): Promise<void> {
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, ms));
}

export interface BenchState<M> {
  done: number;
  seen: M;
}

/** The state as this library keeps it: a KeyedMap of `size` URLs. */
export function keyedState(size: number): BenchState<KeyedMap<true>> {
  const seen = new KeyedMap<true>();
  for (let i = 0; i < size; i++) seen.set(keyOf(i), true);
  return { done: size, seen };
}

/** The same state as a plain object, the way immer and Crawlee's useState hold it. */
export function plainState(size: number): BenchState<Record<string, true>> {
  const seen: Record<string, true> = {};
  for (let i = 0; i < size; i++) seen[keyOf(i)] = true;
  return { done: size, seen };
}

/** A fresh temp folder, and a function that removes it. */
export function tempDir(name: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), `rxps-bench-${name}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A number with about three significant digits. */
export const fmt = (value: number | undefined): string =>
  value === undefined || !Number.isFinite(value)
    ? '—'
    : Math.abs(value) >= 1_000
      ? Math.round(value).toLocaleString('en')
      : Math.abs(value) >= 100
        ? value.toFixed(0)
        : Math.abs(value) >= 10
          ? value.toFixed(1)
          : Math.abs(value) >= 1
            ? value.toFixed(2)
            : value.toPrecision(2);

/** A size as people say it: 1k, 200k, 1M. */
export const sizeLabel = (size: number): string =>
  size >= 1e6 && size % 1e5 === 0 ? `${size / 1e6}M` : size >= 1e3 && size % 100 === 0 ? `${size / 1e3}k` : String(size);
