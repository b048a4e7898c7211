import fc from 'fast-check';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createPersistentStore, fileAdapter } from '../../../src/index.js';
import { listing } from './folders.js';
import { attempt, checkPollution, RUNS, sample, type Context } from './harness.js';
import { show } from './print.js';
import { baseOptions } from './stored-files.js';

// Family 4: hostile keys, given to the store and to the file adapter.

const ABSOLUTE = '@@ABSOLUTE@@';
const hostileKey: fc.Arbitrary<unknown> = fc.oneof(
  {
    arbitrary: fc.constantFrom<unknown>(
      '..',
      '.',
      '../x',
      '../../x',
      '../../../x',
      '..\\x',
      '..\\..\\x',
      'a/b',
      'a\\b',
      '/',
      '\\',
      '',
      ' ',
      'a\0b',
      '\0',
      'CON',
      'NUL',
      'COM1',
      'LPT1',
      'AUX',
      'PRN',
      'con.json',
      'CON.',
      'x.',
      '...',
      '.hidden',
      '-rf',
      '~',
      '$HOME',
      '%2e%2e',
      '%2F',
      '．．',
      '..．',
      'a\u202Eb',
      'é',
      '日本',
      '🙂',
      '\ud800',
      'key\n',
      'tab\t',
      'x'.repeat(257),
      'x'.repeat(1_000),
      'x'.repeat(100_000),
      "a'b(c)!",
      '__proto__',
      'constructor',
      'SRC.json',
      'K.json.journal',
      'K.json.lock',
      'K.invalid-20260101T000000000Z',
      ABSOLUTE,
      `${ABSOLUTE}/K`,
    ),
    weight: 6,
  },
  { arbitrary: fc.integer({ min: 190, max: 260 }).map((n) => 'k'.repeat(n)), weight: 2 },
  { arbitrary: fc.stringMatching(/^[a-zA-Z0-9!\-_.'()]{1,256}$/), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 20 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 10 }), weight: 1 },
  { arbitrary: fc.array(fc.constantFrom('..', '.', 'a', '', '\\', 'CON', 'K'), { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/')), weight: 2 },
  { arbitrary: fc.oneof(fc.integer(), fc.constant(null), fc.constant(undefined), fc.object(), fc.array(fc.string())), weight: 1 },
);

export async function keys(ctx: Context, seed: number): Promise<void> {
  const { tally } = ctx;
  const root = path.join(ctx.dir, 'keys');
  await fs.mkdir(root);
  const scenarioBefore = (await fs.readdir(ctx.dir)).sort().join(',');
  for (const [i, generated] of sample(hostileKey, seed, RUNS.keys).entries()) {
    const parent = path.join(root, `k${i}`);
    const folder = path.join(parent, 'store');
    await fs.mkdir(folder, { recursive: true });
    await fs.writeFile(path.join(parent, 'sentinel'), 'sentinel');
    // An absolute key points inside this input's folder, so that a mistake stays in the scenario's dir.
    const key = typeof generated === 'string' ? generated.replaceAll(ABSOLUTE, path.join(parent, 'outside')) : generated;
    const input = show(key, 200);
    const crashed = { value: false };
    tally.try('keys');
    const options = { key: key as string, initial: { k: 1 }, ...baseOptions(folder) };
    const opened = await attempt(tally, 'keys', input, 'createPersistentStore', () => createPersistentStore(options), crashed);
    if (opened.ok) {
      const store = opened.value!;
      await attempt(tally, 'keys', input, 'update', () => store.update((s) => void (s.k = 2)), crashed);
      await attempt(tally, 'keys', input, 'close', () => store.close(), crashed);
      const again = await attempt(tally, 'keys', input, 'reopen', () => createPersistentStore(options), crashed);
      if (again.ok) {
        if (again.value!.getState().k !== 2) {
          tally.lost++;
          tally.note('keys', 'a durable update is missing after reopening', show(again.value!.getState()), input);
        }
        await attempt(tally, 'keys', input, 'close', () => again.value!.close(), crashed);
      }
    }
    // The file adapter on its own, every method.
    const adapter = fileAdapter({ dir: folder });
    await adapter.write('SRC', { src: true });
    const k = key as string;
    const calls: Array<[string, () => unknown]> = [
      ['locate', () => adapter.locate(k)],
      ['lock', async () => (await adapter.lock!(k))()],
      ['read', () => adapter.read(k)],
      ['readJournal', () => adapter.readJournal!(k)],
      ['write', () => adapter.write(k, { v: 1 })],
      ['append', () => adapter.append!(k, [{ seq: 1, ops: [] }])],
      ['rename SRC → key', () => adapter.rename('SRC', k)],
      ['rename key → DST', () => adapter.rename(k, 'DST')],
      ['delete', () => adapter.delete(k)],
    ];
    for (const [what, call] of calls) await attempt(tally, 'keys', input, `fileAdapter ${what}`, call, crashed);
    if (crashed.value) tally.crash('keys');
    checkPollution(ctx, 'keys', input);

    // Nothing outside the store's folder: its parent holds just the sentinel and the folder, the
    // folder holds plain files named after the key (or SRC / DST), the scenario's folder is as it was.
    const problems: string[] = [];
    const around = await listing(parent);
    for (const [name, bytes] of around) {
      if (name === 'sentinel') {
        if (!(bytes instanceof Buffer) || bytes.toString() !== 'sentinel') problems.push('the sentinel beside the folder changed');
      } else if (name === 'store') {
        continue;
      } else if (!name.startsWith('store/')) {
        problems.push(`${name} appeared beside the store's folder`);
      } else {
        const file = name.slice('store/'.length);
        const ownName = typeof key === 'string' && (file.startsWith(`${key}.json`) || file.startsWith(`${key}.invalid-`));
        if (bytes === 'dir' || !(ownName || /^(SRC|DST)\.json/.test(file))) problems.push(`${name} is not a file of the key`);
      }
    }
    if (!around.has('sentinel')) problems.push('the sentinel beside the folder is gone');
    const scenarioAfter = (await fs.readdir(ctx.dir)).sort().join(',');
    if (scenarioAfter !== scenarioBefore) problems.push(`the scenario's folder changed: ${scenarioAfter}`);
    if (problems.length > 0) {
      tally.outside++;
      tally.note('keys', 'file outside the store folder', problems.join('; '), input);
    }
    await fs.rm(parent, { recursive: true, force: true });
  }
}
