import { existsSync, readFileSync } from 'node:fs';
import { parseProcStat } from '../../src/system/proc-stat.js';

describe('parseProcStat', () => {
  // proc(5) fields 1–24: pid, comm, state, ppid, pgrp, session, tty_nr, tpgid, flags, minflt, cminflt, majflt,
  // cmajflt, utime, stime, cutime, cstime, priority, nice, num_threads, itrealvalue, starttime, vsize, rss
  const line = (comm: string, state: string) =>
    `4242 (${comm}) ${state} 1 777 777 0 -1 4194560 10 0 0 0 150 25 0 0 20 0 7 0 987654 1000000 300 18446744073709551615`;

  test('reads the fields the file lock and the simulator need', () => {
    expect(parseProcStat(line('node', 'S'))).toEqual({ ended: false, pgid: 777, cpuTicks: 175, start: '987654', rssBytes: 300 * 4096 });
  });

  test('a command name with spaces and parentheses does not shift the fields', () => {
    expect(parseProcStat(line('a) (b c) Z', 'R'))).toMatchObject({ ended: false, pgid: 777, start: '987654' });
  });

  test('a zombie or a dead process has ended', () => {
    expect(parseProcStat(line('node', 'Z')).ended).toBe(true);
    expect(parseProcStat(line('node', 'X')).ended).toBe(true);
  });

  (existsSync('/proc/self/stat') ? test : test.skip)("this process's own /proc entry: running, with a start time", () => {
    const stat = parseProcStat(readFileSync('/proc/self/stat', 'utf8'));
    expect(stat.ended).toBe(false);
    expect(stat.start).toMatch(/^\d+$/);
    expect(stat.rssBytes).toBeGreaterThan(0);
  });
});
