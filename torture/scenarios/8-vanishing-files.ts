import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { buildChildren } from '../children/build.js';
import { follow, killNow, linesOf, type Lines } from '../children/lines.js';
import { spawnChild } from '../children/spawn-child.js';
import { mustBeZero, random, type Figure, type Scenario } from '../scenario.js';

const KEY = 'VANISH';
type Act = 'folder removed (rm -rf)' | "purged by Crawlee's purgeDefaultStorages" | 'journal replaced by a symlink to a file outside';
const ACTS: readonly Act[] = ['folder removed (rm -rf)', "purged by Crawlee's purgeDefaultStorages", 'journal replaced by a symlink to a file outside'];

/** What must not change: a file outside the store folder, and what it was. */
interface Canary {
  readonly file: string;
  bytes: Buffer;
  mtimeMs: number;
}

async function resetCanary(canary: Canary, text: string): Promise<void> {
  await fs.writeFile(canary.file, text);
  await fs.utimes(canary.file, new Date(946_684_800_000), new Date(946_684_800_000)); // 2000-01-01: any write moves it
  canary.bytes = await fs.readFile(canary.file);
  canary.mtimeMs = (await fs.stat(canary.file)).mtimeMs;
}

async function canaryTouched(canary: Canary): Promise<string | undefined> {
  const stat = await fs.lstat(canary.file).catch(() => undefined);
  if (!stat?.isFile()) return 'gone or no longer a file';
  const bytes = await fs.readFile(canary.file);
  if (!bytes.equals(canary.bytes)) return `${canary.bytes.length} bytes became ${bytes.length}: ${JSON.stringify(bytes.toString('utf8', 0, 80))}`;
  if (stat.mtimeMs !== canary.mtimeMs) return 'same bytes, but written to (mtime moved)';
  return undefined;
}

/**
 * Files vanishing or replaced under an open store. A child updates key VANISH on the file adapter in
 * Crawlee's default key-value store folder, flushing each update and acknowledging it on stdout; at a
 * seeded moment the parent (a) removes the whole storage folder, (b) purges it with Crawlee's real
 * `purgeDefaultStorages` (which moves `key_value_stores/default` aside, keeps only INPUT, and removes
 * the rest in the background), or (c) replaces `VANISH.json.journal` with a symlink to a canary file
 * outside the folder. The child goes on until it has acknowledged more updates (or, for the symlink,
 * refuses it with a typed error), then is closed or SIGKILLed; a fresh process reopens the key (a
 * typed refusal of the symlink is an answer: the link is then removed, as its message says, and the
 * key reopened). Every acknowledged update must be there (the store still has them all in memory:
 * it must write them again where they now belong), nothing may be refused as corrupt, every error
 * must be a PersistentStoreError, and the canary's bytes and mtime must not change.
 */
function vanishing({ rounds = 36, after = 10 } = {}): Scenario {
  return {
    name: `Vanishing files: ${rounds} rounds of a store's folder removed, purged by Crawlee, or its journal swapped for a symlink, while it flushes (file adapter)`,
    async run({ dir, log, seed }) {
      const { 'ack-child': child } = await buildChildren(['ack-child']);
      const { purgeDefaultStorages } = await import('@crawlee/core');
      const next = random(seed ^ 0x7a15);
      const root = path.join(dir, 'storage');
      const folder = path.join(root, 'key_value_stores', 'default');
      const outside = path.join(dir, 'outside');
      await fs.mkdir(outside);
      const canary: Canary = { file: path.join(outside, 'canary.txt'), bytes: Buffer.alloc(0), mtimeMs: 0 };

      let acked = 0;
      let lost = 0;
      let corrupt = 0;
      let refused = 0;
      let touched = 0;
      let stuck = 0;
      let notReal = 0;
      let acks = 0;
      let symlinksLeft = 0;
      let untyped = 0;
      let purgeFailures = 0;
      let refusedSymlink = 0;
      let writersRefusingLink = 0;
      const errorKinds = new Map<string, number>();
      const byAct = new Map<Act, number>();
      const running = new Set<Lines>();

      /**
       * Checks what a fresh process restored against every update acknowledged so far. A typed refusal
       * to open through a planted symlink is an answer ('symlink'): the caller removes the link and asks again.
       */
      const checkRestored = async (line: string, round: number, who: string): Promise<boolean | 'symlink'> => {
        const [word, n, ...why] = line.split(' ');
        if (word === 'corrupt') {
          corrupt++;
          log(`round ${round} (${who}): refused as corrupt: ${line.slice(0, 300)}`);
          return false;
        }
        if (word === 'open-error' && n === 'typed' && (await fs.lstat(path.join(folder, `${KEY}.json.journal`)).catch(() => undefined))?.isSymbolicLink())
          return 'symlink';
        if (word !== 'ready') {
          refused++;
          log(`round ${round} (${who}): did not open: ${line.slice(0, 300)}`);
          return false;
        }
        if (why.join(' ') !== 'ok') {
          notReal++;
          log(`round ${round} (${who}): not a state the writer had: ${why.join(' ')}`);
        }
        if (Number(n) < acked) {
          lost += acked - Number(n);
          log(`round ${round} (${who}): update ${acked} was acknowledged, storage holds ${n}`);
          acked = Number(n); // counted once: the next checks start from what is there
        }
        return true;
      };
      const countError = (line: string): void => {
        const [word, typed, kind] = line.split(' ');
        const name = `${word} ${typed} ${kind}`;
        if (typed === 'untyped') untyped++;
        if (!errorKinds.has(name)) log(`first ${name}: ${line.slice(0, 300)}`);
        errorKinds.set(name, (errorKinds.get(name) ?? 0) + 1);
      };
      /** Starts the writer in `mode` and follows its lines; returns once it said whether it opened. */
      const start = async (round: number, mode: 'run' | 'check', who: string) => {
        const env = { TORTURE_MODE: mode, TORTURE_FLUSH_TIMEOUT_MS: '3000', TORTURE_PAYLOAD: '200', TORTURE_RING: '64', TORTURE_TYPED: 'any' };
        const lines = linesOf(spawnChild(child!, [folder, KEY], env));
        running.add(lines);
        void lines.closed.then(() => running.delete(lines));
        let first: string | undefined;
        let ackedHere = 0;
        let typedErrors = 0;
        const followed = follow(lines, (line) => {
          if (first === undefined && /^(ready|corrupt|open-error) /.test(line)) first = line;
          else if (line.startsWith('durable ')) {
            ackedHere++;
            acks++;
            acked = Math.max(acked, Number(line.split(' ')[1]));
          } else if (/^(write|flush|close|open)-error /.test(line)) {
            countError(line);
            if (line.split(' ')[1] === 'typed') typedErrors++;
          }
        });
        await followed.until(() => first !== undefined, 30_000);
        const opened = await checkRestored(first ?? `no answer: ${lines.stderr().slice(-300)}`, round, who);
        return { lines, followed, opened, acksSeen: () => ackedHere, typedErrors: () => typedErrors };
      };
      /** Reopens in a fresh process; after a typed refusal of the planted symlink, removes it (as its message says to) and reopens again. */
      const reopen = async (round: number, act: Act): Promise<boolean> => {
        for (let attempt = 1; ; attempt++) {
          const check = await start(round, 'check', `reopen after ${act}`);
          // It makes one more update durable (through a symlink, if it followed one), then closes.
          await check.followed.until(() => check.lines.child.exitCode !== null, 30_000);
          await killNow(check.lines).then(() => check.followed.done);
          if (check.opened !== 'symlink' || attempt === 2) return check.opened === true;
          refusedSymlink++;
          await fs.rm(path.join(folder, `${KEY}.json.journal`));
        }
      };

      const previousStorageDir = process.env.CRAWLEE_STORAGE_DIR;
      process.env.CRAWLEE_STORAGE_DIR = root; // purgeDefaultStorages purges <CRAWLEE_STORAGE_DIR>/key_value_stores/default
      try {
        const order = Array.from({ length: rounds }, (_, i) => ACTS[i % ACTS.length]!).sort(() => next() - 0.5);
        for (let round = 1; round <= rounds; round++) {
          const act = order[round - 1]!;
          // An empty canary is a journal with no records (the open goes on and appends to it);
          // a text one is a journal that does not parse.
          await resetCanary(canary, next() < 0.5 ? '' : `canary of round ${round}: not the store's\n`);
          const writer = await start(round, 'run', `writer before ${act}`);
          if (writer.opened !== true) {
            await killNow(writer.lines);
            await fs.rm(root, { recursive: true, force: true });
            acked = 0;
            continue;
          }
          const before = 1 + Math.floor(next() * 30);
          await writer.followed.until(() => writer.acksSeen() >= before, 15_000);
          await new Promise((resolve) => setTimeout(resolve, next() * 5));
          if (process.env.TORTURE_VERBOSE) log(`round ${round}: ${act} after ${writer.acksSeen()} acknowledgements`);
          switch (act) {
            case 'folder removed (rm -rf)':
              await fs.rm(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 5 });
              break;
            case "purged by Crawlee's purgeDefaultStorages":
              // Crawlee moves the folder aside, makes a new one, and removes the old one in the background.
              await purgeDefaultStorages().catch((error: Error) => {
                purgeFailures++;
                log(`round ${round}: purgeDefaultStorages failed: ${error.message}`);
              });
              await purgeFinished(path.join(root, 'key_value_stores'));
              break;
            case 'journal replaced by a symlink to a file outside': {
              const link = path.join(outside, `link-${round}`);
              await fs.symlink(canary.file, link);
              await fs.rename(link, path.join(folder, `${KEY}.json.journal`)); // atomic, like an attacker would
              break;
            }
          }
          byAct.set(act, (byAct.get(act) ?? 0) + 1);
          // Counted from the end of the act (rm -rf retries while the store writes its files again, and
          // removes them too): what was acknowledged before may have been removed after it was durable.
          const ackedBefore = writer.acksSeen();
          // It goes on: it acknowledges more updates, or (a planted symlink) refuses with a typed error.
          const typedBefore = writer.typedErrors();
          const refusesLink = (): boolean => act === 'journal replaced by a symlink to a file outside' && writer.typedErrors() > typedBefore;
          if (!(await writer.followed.until(() => writer.acksSeen() >= ackedBefore + after || refusesLink(), 20_000))) {
            stuck++;
            log(`round ${round} (${act}): ${writer.acksSeen() - ackedBefore} acknowledgements in 20 s after it, expected ${after}`);
          }
          if (refusesLink()) writersRefusingLink++;
          if (next() < 0.5) {
            process.kill(writer.lines.child.pid!, 'SIGTERM'); // closes the store
            if (!(await writer.followed.until(() => writer.lines.child.exitCode !== null, 20_000))) log(`round ${round}: the writer did not close within 20 s`);
          }
          await killNow(writer.lines);
          await writer.followed.done;
          if (process.env.TORTURE_VERBOSE) {
            const files = await fs.readdir(folder).catch((error: Error) => [error.message]);
            const sizes = await Promise.all(
              files.map((name) =>
                fs.lstat(path.join(folder, name)).then(
                  (st) => `${name} ${st.size}`,
                  () => name,
                ),
              ),
            );
            log(
              `round ${round}: writer gone after ${writer.acksSeen()} acknowledgements (${writer.lines.child.signalCode ?? 'closed'}); folder: ${sizes.join(', ')}`,
            );
          }
          const opened = await reopen(round, act);
          const why = await canaryTouched(canary);
          if (why !== undefined) {
            touched++;
            log(`round ${round} (${act}): the canary outside the folder was touched: ${why}`);
          }
          const journal = path.join(folder, `${KEY}.json.journal`);
          if ((await fs.lstat(journal).catch(() => undefined))?.isSymbolicLink()) {
            // Left by the store as it was: removed (counted), so that each round's figures are its own act's.
            symlinksLeft++;
            await fs.rm(journal);
          }
          if (!opened) {
            // Counted; start afresh so the next rounds test the act again rather than this.
            await fs.rm(root, { recursive: true, force: true });
            acked = 0;
          }
          if (round % 6 === 0) log(`${round} rounds, ${acks} acknowledgements, lost ${lost}, corrupt ${corrupt}, outside touched ${touched}`);
        }
      } finally {
        if (previousStorageDir === undefined) delete process.env.CRAWLEE_STORAGE_DIR;
        else process.env.CRAWLEE_STORAGE_DIR = previousStorageDir;
        await Promise.all([...running].map((lines) => killNow(lines)));
      }
      const figures: Figure[] = [
        { name: 'rounds', value: rounds },
        ...[...byAct].sort().map(([act, count]): Figure => ({ name: `  ${act}`, value: count })),
        { name: 'updates acknowledged (flush resolved)', value: acks.toLocaleString('en') },
        { name: "purgeDefaultStorages calls that failed (Crawlee's own error, e.g. the folder made again meanwhile)", value: purgeFailures },
        mustBeZero('acknowledged updates lost', lost),
        mustBeZero('corrupt restores', corrupt),
        mustBeZero('data outside the store folder touched (canary bytes or mtime)', touched),
        mustBeZero('reopens refused (typed error, no state)', refused),
        mustBeZero('restored states the writer never had', notReal),
        { name: 'rounds ending with the journal still a symlink (then removed)', value: symlinksLeft },
        { name: 'writers that stopped on a typed error naming the planted symlink', value: writersRefusingLink },
        { name: 'reopens refusing the planted symlink (typed error; the link then removed and the key reopened)', value: refusedSymlink },
        mustBeZero('errors that are not a PersistentStoreError', untyped),
        mustBeZero(`rounds where the writer neither acknowledged ${after} more updates within 20 s nor refused the symlink with a typed error`, stuck),
        ...[...errorKinds].sort().map(([kind, count]): Figure => ({ name: `  reported: ${kind}`, value: count })),
      ];
      return figures;
    },
  };
}

/** purgeDefaultStorages resolves before its background removal of the old folder ends: waits (at most 10 s) for that. */
async function purgeFinished(folder: string): Promise<void> {
  for (let i = 0; i < 1_000; i++) {
    const names = await fs.readdir(folder).catch(() => [] as string[]);
    if (!names.some((name) => name.startsWith('__OLD_DEFAULT_') || name.startsWith('__CRAWLEE_TEMPORARY_') || name.startsWith('__CRAWLEE_MIGRATING'))) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export default vanishing({ rounds: Number(process.env.TORTURE_VANISH_ROUNDS ?? 36) });
