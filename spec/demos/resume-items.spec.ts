import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../support/processes.js';
import { useTempDir } from '../support/temp-dir.js';

const storage = useTempDir('resume-items');

const MAX_WAIT_MS = 1_000;
const MARGIN_MS = 1_000;

describe('the resume-items demo', () => {
  test(`killed without warning, it resumes from its last save, finishes all 1000 items, and redoes only the items of the last maxWaitMs before the kill (${MAX_WAIT_MS} ms + ${MARGIN_MS} ms margin, at the observed rate)`, async () => {
    const workLog = path.join(storage(), 'work.log');
    // Killed when run 1 says it has done 500 items (2.5 s of work at 5 ms each, 2.5 s left), not
    // at a time: on a busy machine a timed kill could land before the first item, on a fast one after the last.
    const { code, stdout, stderr } = await runCli(
      [
        'simulate',
        '--storage',
        storage(),
        '--kill-on',
        '500 of 1000 items done',
        '--',
        process.execPath,
        '--import',
        'tsx',
        path.join('demos', 'resume-items', 'main.ts'),
      ],
      { RESUME_ITEM_MS: '5', RESUME_DEBOUNCE_MS: '200', RESUME_MAX_WAIT_MS: String(MAX_WAIT_MS), RESUME_WORK_LOG: workLog },
      50_000,
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^\[resume-items run 1\] Starting at item 0$/m);
    expect(stdout).toMatch(/run 1 printed "500 of 1000 items done"\n.*run 1: killing it without warning \(SIGKILL\)/);
    expect(stdout).toMatch(/summary: the job finished \(exit code 0\); 2 runs, 1 restart/);
    const resumedAt = Number(/^\[resume-items run 2\] Resuming from item (\d+)$/m.exec(stdout)?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(stdout).toMatch(/^\[resume-items run 2\] Finished: all 1000 items processed/m);

    // The work log: every item once, then the items worked between the last save and the kill again.
    const entries = (await fs.readFile(workLog, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => line.split(' ').map(Number) as [number, number]);
    const ids = entries.map(([id]) => id);
    expect(new Set(ids)).toEqual(new Set(Array.from({ length: 1000 }, (_, i) => i)));
    const run2Start = ids.lastIndexOf(resumedAt); // run 2's first item (run 1 may have worked it too)
    const inOrder = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
    expect(ids.slice(0, run2Start)).toEqual(inOrder(0, run2Start)); // run 1: 0, 1, 2, … until the kill
    expect(ids.slice(run2Start)).toEqual(inOrder(resumedAt, 1000)); // run 2: from its resume point to the end
    const run1 = entries.slice(0, run2Start);
    const lastBeforeKill = run1.at(-1)![0];
    expect(lastBeforeKill).toBeGreaterThanOrEqual(499); // the kill came once run 1 had printed its 500th item
    const twice = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
    // Contiguous, from the resume point up to the last item of run 1.
    expect(twice).toEqual(inOrder(resumedAt, lastBeforeKill + 1));

    // At most maxWaitMs (+ margin) of run 1's work is redone, in time and in items at run 1's rate.
    const [firstAt, lastAt] = [run1[0]![1], run1.at(-1)![1]];
    const itemsPerMs = (run1.length - 1) / (lastAt - firstAt);
    expect(twice.length).toBeLessThanOrEqual(Math.ceil(itemsPerMs * (MAX_WAIT_MS + MARGIN_MS)));
    const redoneSince = run1.find(([id]) => id === resumedAt)![1];
    expect(lastAt - redoneSince).toBeLessThanOrEqual(MAX_WAIT_MS + MARGIN_MS);
  }, 55_000);
});
