import { promises as fs } from 'node:fs';

const PAGE_BYTES = 4096;

export interface GroupMember {
  readonly pid: number;
  /** A zombie has ended and holds nothing; it only waits to be reaped. */
  readonly zombie: boolean;
  /** User + system CPU time, in clock ticks. */
  readonly cpuTicks: number;
  readonly rssBytes: number;
}

/** Every process in group `pgid`, from /proc (Linux); throws where there is no /proc. */
export async function readGroup(pgid: number): Promise<GroupMember[]> {
  const members: GroupMember[] = [];
  for (const name of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = await fs.readFile(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // the process ended while we looked
    }
    // The fields after the command name, which may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue;
    members.push({
      pid: Number(name),
      zombie: fields[0] === 'Z' || fields[0] === 'X',
      cpuTicks: Number(fields[11]) + Number(fields[12]),
      rssBytes: Number(fields[21]) * PAGE_BYTES,
    });
  }
  return members;
}

/** Resolves once no live process is left in group `pgid` (or `timeoutMs` passed); false on timeout. */
export async function groupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let alive: boolean;
    try {
      alive = (await readGroup(pgid)).some((member) => !member.zombie);
    } catch {
      return true; // no /proc: the kill is all we can do
    }
    if (!alive) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
