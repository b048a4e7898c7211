import { readFile } from 'node:fs/promises';
import * as os from 'node:os';
import type { SystemInfoData } from './event-types.js';

/** Above this share of its CPU allowance a job is overloaded (the Apify SDK's default ratio). */
const OVERLOADED_PERCENT = 95;

interface CpuSample {
  readonly usedMicros: number;
  readonly at: number;
}

/** Where the figures come from: cgroup v2, cgroup v1, or the whole machine via `os`. */
export interface SystemReader {
  /** CPU time used by the job (or machine) so far, in µs, and how many CPUs it may use. */
  cpu(): Promise<{ usedMicros: number; cpus: number }>;
  /** Memory in use and the limit, in bytes. */
  memory(): Promise<{ current: number; limit: number }>;
}

const readNumber = async (file: string): Promise<number | undefined> => {
  const text = (await readFile(file, 'utf8')).trim();
  const value = Number(text);
  return text === 'max' || !Number.isFinite(value) ? undefined : value;
};

/**
 * A field of a cgroup `memory.stat` file, 0 when absent. The inactive file cache it names is
 * counted in the cgroup's usage but is given back on demand; like `docker stats`, the readings
 * leave it out, or a tiny job reads as gigabytes after touching a few files.
 */
const readStat = async (file: string, field: string): Promise<number> => {
  const text = await readFile(file, 'utf8').catch(() => '');
  return Number(new RegExp(`^${field} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
};

/** A cgroup v1 limit this large means "no limit". */
const UNLIMITED_V1 = 2 ** 60;

/** Readings for this process: the container's cgroup where there is one, else the machine. */
export function systemReader(root = '/sys/fs/cgroup'): SystemReader {
  const machineCpus = os.availableParallelism?.() ?? os.cpus().length;
  const machineCpu = () => {
    const used = os.cpus().reduce((sum, cpu) => sum + cpu.times.user + cpu.times.sys + cpu.times.irq + cpu.times.nice, 0);
    return { usedMicros: used * 1000, cpus: machineCpus };
  };
  return {
    async cpu() {
      try {
        // v2: cpu.stat has usage_usec; cpu.max is "<quota> <period>" or "max <period>"
        const stat = await readFile(`${root}/cpu.stat`, 'utf8');
        const used = Number(/usage_usec (\d+)/.exec(stat)?.[1]);
        const [quota, period] = (await readFile(`${root}/cpu.max`, 'utf8').catch(() => 'max 100000')).trim().split(/\s+/);
        const cpus = quota === 'max' ? machineCpus : Number(quota) / Number(period);
        if (Number.isFinite(used) && cpus > 0) return { usedMicros: used, cpus };
      } catch {
        // not cgroup v2
      }
      try {
        // v1: cpuacct.usage in ns; cfs quota -1 means unlimited
        const used = await readNumber(`${root}/cpuacct/cpuacct.usage`);
        const quota = await readNumber(`${root}/cpu/cpu.cfs_quota_us`).catch(() => -1);
        const period = await readNumber(`${root}/cpu/cpu.cfs_period_us`).catch(() => 100_000);
        if (used !== undefined) {
          const cpus = quota !== undefined && quota > 0 && period ? quota / period : machineCpus;
          return { usedMicros: used / 1000, cpus };
        }
      } catch {
        // not cgroup v1 either
      }
      return machineCpu();
    },
    async memory() {
      const fallback = { current: process.memoryUsage().rss, limit: os.totalmem() };
      try {
        const usage = await readNumber(`${root}/memory.current`);
        const limit = await readNumber(`${root}/memory.max`).catch(() => undefined);
        if (usage !== undefined)
          return { current: Math.max(0, usage - (await readStat(`${root}/memory.stat`, 'inactive_file'))), limit: limit ?? os.totalmem() };
      } catch {
        // not cgroup v2
      }
      try {
        const usage = await readNumber(`${root}/memory/memory.usage_in_bytes`);
        const limit = await readNumber(`${root}/memory/memory.limit_in_bytes`);
        const current = usage === undefined ? undefined : Math.max(0, usage - (await readStat(`${root}/memory/memory.stat`, 'total_inactive_file')));
        if (current !== undefined) return { current, limit: limit !== undefined && limit < UNLIMITED_V1 ? Math.min(limit, os.totalmem()) : os.totalmem() };
      } catch {
        // outside any cgroup we can read
      }
      return fallback;
    },
  };
}

/**
 * Makes `systemInfo` payloads from successive readings: CPU usage is the share of the job's CPU
 * allowance used since the previous reading, in percent.
 */
export function systemInfoSampler(reader: SystemReader = systemReader(), now: () => number = Date.now) {
  let previous: CpuSample | undefined;
  return async (): Promise<SystemInfoData> => {
    const [cpu, memory] = await Promise.all([reader.cpu(), reader.memory()]);
    const at = now();
    let cpuCurrentUsage = 0;
    if (previous !== undefined && at > previous.at) {
      const share = (cpu.usedMicros - previous.usedMicros) / ((at - previous.at) * 1000 * cpu.cpus);
      cpuCurrentUsage = Math.max(0, Math.min(100, share * 100));
    }
    previous = { usedMicros: cpu.usedMicros, at };
    return {
      cpuCurrentUsage: Math.round(cpuCurrentUsage * 10) / 10,
      isCpuOverloaded: cpuCurrentUsage > OVERLOADED_PERCENT,
      memCurrentBytes: memory.current,
      memTotalBytes: memory.limit,
      memMaxBytes: memory.limit,
      createdAt: new Date(at).toISOString(),
    };
  };
}
