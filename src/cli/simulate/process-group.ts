import { promises as fs } from 'node:fs';
import { parseProcStat, type ProcStat } from '../../system/proc-stat.js';

export interface GroupMember extends ProcStat {
  readonly pid: number;
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
    const member = parseProcStat(stat);
    if (member.pgid === pgid) members.push({ pid: Number(name), ...member });
  }
  return members;
}

/** Resolves once no live process is left in group `pgid` (or `timeoutMs` passed); false on timeout. */
export async function groupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let alive: boolean;
    try {
      alive = (await readGroup(pgid)).some((member) => !member.ended);
    } catch {
      return true; // no /proc: the kill is all we can do
    }
    if (!alive) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
