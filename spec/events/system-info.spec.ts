import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { systemInfoSampler, systemReader, type SystemReader } from '../../src/events/system-info.js';
import { useTempDir } from '../support/temp-dir.js';

const tempDir = useTempDir('cgroup');

async function tree(files: Record<string, string>): Promise<string> {
  for (const [name, text] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(tempDir(), name)), { recursive: true });
    await fs.writeFile(path.join(tempDir(), name), text);
  }
  return tempDir();
}

describe('system readings', () => {
  test('cgroup v2: cpu.stat usage against the cpu.max quota; memory.current against memory.max', async () => {
    const reader = systemReader(
      await tree({
        'cpu.stat': 'usage_usec 5000000\nuser_usec 1\n',
        'cpu.max': '150000 100000\n',
        'memory.current': '104857600\n',
        'memory.max': '536870912\n',
      }),
    );
    expect(await reader.cpu()).toEqual({ usedMicros: 5_000_000, cpus: 1.5 });
    expect(await reader.memory()).toEqual({ current: 104_857_600, limit: 536_870_912 });
  });

  test('cgroup v2: the inactive file cache (inactive_file) is left out of memory, as docker stats does', async () => {
    const v2 = systemReader(
      await tree({
        'cpu.stat': 'usage_usec 1\n',
        'cpu.max': 'max 100000\n',
        'memory.current': '1000000\n',
        'memory.max': 'max\n',
        'memory.stat': 'anon 300000\ninactive_file 600000\nactive_file 100000\n',
      }),
    );
    expect((await v2.memory()).current).toBe(400_000);
  });

  test('cgroup v1: total_inactive_file is left out the same way', async () => {
    const v1 = systemReader(
      await tree({
        'cpuacct/cpuacct.usage': '1\n',
        'memory/memory.usage_in_bytes': '5000\n',
        'memory/memory.limit_in_bytes': '8000\n',
        'memory/memory.stat': 'cache 3000\ntotal_inactive_file 1000\n',
      }),
    );
    expect((await v1.memory()).current).toBe(4_000);
  });

  test('cgroup v2 without limits: the machine is the limit', async () => {
    const reader = systemReader(await tree({ 'cpu.stat': 'usage_usec 10\n', 'cpu.max': 'max 100000\n', 'memory.current': '2048\n', 'memory.max': 'max\n' }));
    expect(await reader.cpu()).toEqual({ usedMicros: 10, cpus: os.availableParallelism() });
    expect(await reader.memory()).toEqual({ current: 2048, limit: os.totalmem() });
  });

  test('cgroup v1: cpuacct.usage (ns) and cfs quota; memory usage and limit ("unlimited" is huge)', async () => {
    const reader = systemReader(
      await tree({
        'cpuacct/cpuacct.usage': '3000000000\n',
        'cpu/cpu.cfs_quota_us': '200000\n',
        'cpu/cpu.cfs_period_us': '100000\n',
        'memory/memory.usage_in_bytes': '4096\n',
        'memory/memory.limit_in_bytes': '9223372036854771712\n',
      }),
    );
    expect(await reader.cpu()).toEqual({ usedMicros: 3_000_000, cpus: 2 });
    expect(await reader.memory()).toEqual({ current: 4096, limit: os.totalmem() });
  });

  test('no readable cgroup: os and process figures', async () => {
    const reader = systemReader(path.join(tempDir(), 'nothing-here'));
    const cpu = await reader.cpu();
    expect(cpu.cpus).toBe(os.availableParallelism());
    expect(cpu.usedMicros).toBeGreaterThan(0);
    const memory = await reader.memory();
    expect(memory.limit).toBe(os.totalmem());
    expect(memory.current).toBeGreaterThan(10_000_000); // this process's rss
  });

  test('this machine gives sane figures', async () => {
    const sample = systemInfoSampler();
    await sample();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const info = await sample();
    expect(info.cpuCurrentUsage).toBeGreaterThanOrEqual(0);
    expect(info.cpuCurrentUsage).toBeLessThanOrEqual(100);
    expect(info.memCurrentBytes).toBeGreaterThan(0);
    expect(info.memMaxBytes).toBeLessThanOrEqual(os.totalmem());
    expect(Date.parse(info.createdAt!)).not.toBeNaN();
  });

  test('CPU usage is the share of the allowance used between two readings; over 95 % is overloaded', async () => {
    let used = 0;
    let now = 0;
    const reader: SystemReader = { cpu: async () => ({ usedMicros: used, cpus: 2 }), memory: async () => ({ current: 1, limit: 2 }) };
    const sample = systemInfoSampler(reader, () => now);
    expect((await sample()).cpuCurrentUsage).toBe(0); // nothing to compare with yet
    used += 1_000_000; // 1 s of CPU time in 1 s, of 2 CPUs
    now += 1_000;
    expect(await sample()).toMatchObject({ cpuCurrentUsage: 50, isCpuOverloaded: false, memCurrentBytes: 1, memMaxBytes: 2 });
    used += 1_960_000;
    now += 1_000;
    expect(await sample()).toMatchObject({ cpuCurrentUsage: 98, isCpuOverloaded: true });
  });
});
