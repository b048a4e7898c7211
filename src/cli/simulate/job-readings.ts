import * as os from 'node:os';
import type { SystemInfoData } from '../../events/event-types.js';
import { CLOCK_TICKS_PER_SECOND } from '../../system/proc-stat.js';
import { readGroup } from './process-group.js';

/**
 * `systemInfo` readings of the job alone, as the platform reports its container: CPU in percent
 * of the machine, resident memory of the job's processes. Where /proc is missing (not Linux),
 * the readings say so by leaving CPU and memory out.
 */
export function jobReadings(pgid: number, clock: () => number = Date.now): () => Promise<SystemInfoData> {
  let last: { at: number; cpuTicks: number } | undefined;
  const cores = os.availableParallelism();
  return async () => {
    const createdAt = new Date(clock()).toISOString();
    let usage: { cpuTicks: number; rssBytes: number };
    try {
      const members = await readGroup(pgid);
      usage = { cpuTicks: members.reduce((sum, m) => sum + m.cpuTicks, 0), rssBytes: members.reduce((sum, m) => sum + m.rssBytes, 0) };
    } catch {
      return { createdAt, memMaxBytes: os.totalmem() };
    }
    const at = clock();
    const cpu = last && at > last.at ? ((usage.cpuTicks - last.cpuTicks) / CLOCK_TICKS_PER_SECOND / ((at - last.at) / 1000) / cores) * 100 : 0;
    last = { at, cpuTicks: usage.cpuTicks };
    const cpuCurrentUsage = Math.max(0, Math.round(cpu * 10) / 10);
    return { createdAt, cpuCurrentUsage, isCpuOverloaded: cpuCurrentUsage > 95, memCurrentBytes: usage.rssBytes, memMaxBytes: os.totalmem() };
  };
}
