/** USER_HZ, the unit of /proc's CPU and start times: 100 on every Linux architecture Node runs on. */
export const CLOCK_TICKS_PER_SECOND = 100;

/** The page size /proc counts resident memory in: 4 KiB on x86-64 and the usual arm64 kernels. */
const PAGE_BYTES = 4096;

/** What `/proc/<pid>/stat` says of a process. */
export interface ProcStat {
  /** A zombie (Z) or dead (X) process: it has ended and holds nothing, it only waits to be reaped. */
  readonly ended: boolean;
  /** Its process group. */
  readonly pgid: number;
  /** User + system CPU time, in clock ticks. */
  readonly cpuTicks: number;
  /** When it started, in clock ticks after boot, as written: with the pid, it tells a process from a later one given that pid. */
  readonly start: string;
  readonly rssBytes: number;
}

/**
 * Reads the text of a `/proc/<pid>/stat` file (proc(5)). The command name, the second field, is
 * in parentheses and may itself hold spaces and parentheses: the fields are counted from the last `)`.
 *
 * @example parseProcStat('42 (node (x)) S 1 42 42 …').pgid; // 42
 */
export function parseProcStat(text: string): ProcStat {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3 of proc(5)
  const field = (n: number): string => fields[n - 3] ?? '';
  return {
    ended: /^[ZX]/.test(field(3)),
    pgid: Number(field(5)),
    cpuTicks: Number(field(14)) + Number(field(15)),
    start: field(22),
    rssBytes: Number(field(24)) * PAGE_BYTES,
  };
}
