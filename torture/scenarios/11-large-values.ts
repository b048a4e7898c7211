import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../spec/support/processes.js';
import { COMPACT_FRACTION } from '../../src/store/journal-writer.js';
import { buildChildren } from '../children/build.js';
import { follow, killNow, linesOf } from '../children/lines.js';
import { spawnChild } from '../children/spawn-child.js';
import { mustBeZero, type Figure, type Scenario } from '../scenario.js';

const MiB = 1024 * 1024;
const mb = (bytes: number): string => `${(bytes / MiB).toFixed(2)} MiB`;

interface Phase {
  readonly label: string;
  readonly key: string;
  /** ack-child's environment: what each update writes. */
  readonly env: NodeJS.ProcessEnv;
  readonly updates: number;
}

/**
 * A journal of large values: (a) one 1 MiB field replaced hundreds of times, (b) a KeyedMap of a few
 * 256 KiB values churned. The child (ack-child.ts) flushes each update and measures, after every
 * append, the journal file on disk. The store documents its compaction by bytes: the journal stays
 * within max(1 MiB, an eighth of the snapshot) plus the record that crossed it, so that is the bound.
 * Then `inspect` must read the key (npm run cli -- inspect), and a fresh process must reopen it (no
 * ERR_STRING_TOO_LONG) with every acknowledged update.
 */
function largeValues({ fieldUpdates = 560, mapUpdates = 300 } = {}): Scenario {
  const phases: Phase[] = [
    // Flushed every 2nd update: the updates between are written together (the journal grows as much).
    { label: '(a) one 1 MiB field', key: 'BIG_FIELD', env: { TORTURE_FIELD: String(MiB), TORTURE_ACK_EVERY: '2' }, updates: fieldUpdates },
    { label: '(b) KeyedMap of 4 × 256 KiB', key: 'BIG_MAP', env: { TORTURE_PAYLOAD: String(256 * 1024), TORTURE_RING: '4' }, updates: mapUpdates },
  ];
  return {
    name: `Large values: a 1 MiB field replaced ${fieldUpdates} times, a KeyedMap of 4 × 256 KiB values churned ${mapUpdates} times; journal bounded by bytes (file adapter)`,
    async run({ dir, log }) {
      const { 'ack-child': child } = await buildChildren(['ack-child']);
      const figures: Figure[] = [];
      for (const phase of phases) {
        const folder = path.join(dir, phase.key);
        const env = { ...phase.env, TORTURE_MEASURE: '1', TORTURE_FLUSH_TIMEOUT_MS: '60000' };
        const started = Date.now();
        const writer = linesOf(spawnChild(child!, [folder, phase.key], { ...env, TORTURE_UPDATES: String(phase.updates) }));
        let acked = 0;
        let sizes = [0, 0, 0];
        let errors = 0;
        const followed = follow(writer, (line) => {
          const [word, ...rest] = line.split(' ');
          if (word === 'durable' || word === 'closed')
            acked = Math.max(acked, Number(rest[0])); // closed: its last flush resolved
          else if (word === 'sizes') sizes = rest.map(Number);
          else if (/-error$/.test(word!) || word === 'corrupt') {
            if (errors++ < 3) log(`${phase.label}: ${line.slice(0, 300)}`);
          }
        });
        if (!(await followed.until(() => writer.child.exitCode !== null, 100_000))) log(`${phase.label}: the writer did not finish within 100 s; stopped`);
        await killNow(writer).then(() => followed.done);
        const [journalMax, recordMax, snapshotMax] = sizes as [number, number, number];
        const bound = Math.max(MiB, snapshotMax / COMPACT_FRACTION) + recordMax;
        const onDisk = await fs.stat(path.join(folder, `${phase.key}.json.journal`)).then(
          (s) => s.size,
          () => 0,
        );
        log(
          `${phase.label}: ${acked} updates acknowledged in ${((Date.now() - started) / 1000).toFixed(1)} s; largest journal ${mb(journalMax)}, record ${mb(recordMax)}, snapshot ${mb(snapshotMax)}; journal left ${mb(onDisk)}`,
        );

        const inspected = await runCli(['inspect', phase.key, '--dir', folder], {}, 90_000).catch((error: Error) => ({
          code: -1,
          stdout: '',
          stderr: error.message,
        }));
        if (inspected.code !== 0) log(`${phase.label}: inspect failed (exit ${inspected.code}): ${inspected.stderr.trim().slice(0, 300)}`);

        const check = linesOf(spawnChild(child!, [folder, phase.key], { ...env, TORTURE_MODE: 'check' }));
        let first: string | undefined;
        const checked = follow(check, (line) => void (first ??= /^(ready|corrupt|open-error) /.test(line) ? line : undefined));
        await checked.until(() => first !== undefined, 100_000);
        await killNow(check).then(() => checked.done);
        const [word, n, ...why] = (first ?? `no answer ${check.stderr().slice(-200)}`).split(' ');
        const reopened = word === 'ready';
        if (!reopened) log(`${phase.label}: the reopen failed: ${(first ?? check.stderr()).slice(0, 300)}`);
        else if (why.join(' ') !== 'ok') log(`${phase.label}: reopened on a state the writer never had: ${why.join(' ')}`);
        const lost = reopened ? Math.max(0, acked - Number(n)) : acked;
        figures.push(
          { name: `${phase.label}: updates acknowledged`, value: `${acked} of ${phase.updates}` },
          {
            name: `${phase.label}: largest journal on disk`,
            value: mb(journalMax),
            must: `≤ ${mb(bound)} (max(1 MiB, snapshot ${mb(snapshotMax)} / ${COMPACT_FRACTION}) + record ${mb(recordMax)})`,
            ok: journalMax <= bound && acked > 0,
          },
          mustBeZero(`${phase.label}: reopen failed (corrupt, ERR_STRING_TOO_LONG, …)`, reopened ? 0 : 1),
          mustBeZero(`${phase.label}: inspect failed`, inspected.code === 0 ? 0 : 1),
          mustBeZero(`${phase.label}: acknowledged updates lost`, lost),
          mustBeZero(`${phase.label}: write errors`, errors),
        );
        await fs.rm(folder, { recursive: true, force: true });
      }
      return figures;
    },
  };
}

export default largeValues({
  fieldUpdates: Number(process.env.TORTURE_LARGE_UPDATES ?? 560),
  mapUpdates: Number(process.env.TORTURE_LARGE_MAP_UPDATES ?? 300),
});
