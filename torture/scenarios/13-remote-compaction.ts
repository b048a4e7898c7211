import { EMPTY } from 'rxjs';
import { apifyDialect, createPersistentStore, etcdDialect, KeyedMap, remoteKvAdapter, type StorageAdapter } from '../../src/index.js';
import { logNames } from '../../src/adapters/log/log-names.js';
import { fromBase64, toBase64 } from '../../src/adapters/remote/base64.js';
import { ETCD_BINARY, startEtcd } from '../../spec/support/etcd-server.js';
import { startFakeApify } from '../../spec/support/fake-apify-server.js';
import { requireBinary } from '../../spec/support/server-binaries.js';
import { buildChildren } from '../children/build.js';
import { compactionModel, type CompactionState } from '../children/compaction-model.js';
import { follow, killNow, linesOf, type Lines } from '../children/lines.js';
import { spawnChild } from '../children/spawn-child.js';
import { apifyRequest, etcdRequest, startKillProxy, type KillTrigger, type SeenRequest } from '../kill-proxy.js';
import { mustBeZero, random, type Figure, type Scenario } from '../scenario.js';

const KEY = 'BIG';
const TOKEN = 'torture-token';
const STORE_ID = 'torture-store';

/** One backend as the scenario uses it: where the child writes, a direct adapter to check, and every record of the key. */
interface Backend {
  readonly name: 'etcd' | 'apify';
  readonly url: string;
  readonly childArgs: readonly string[];
  readonly classify: (method: string, path: string, body: string) => SeenRequest;
  readonly direct: () => StorageAdapter;
  records(): Promise<Map<string, string>>;
  stop(): Promise<void>;
}

async function etcdBackend(): Promise<Backend> {
  const etcd = await startEtcd();
  const prefix = compactionModel.etcdPrefix;
  return {
    name: 'etcd',
    url: etcd.url,
    childArgs: [],
    classify: (_method, path, body) => etcdRequest(prefix)(path, body),
    direct: () => remoteKvAdapter({ dialect: etcdDialect({ endpoint: etcd.url, prefix }) }),
    async records() {
      // Every key from `<prefix>BIG` to `<prefix>BIG\xff`: the head and its chunks and segments.
      const from = prefix + KEY;
      const response = await fetch(`${etcd.url}/v3/kv/range`, {
        method: 'POST',
        body: JSON.stringify({ key: toBase64(from), range_end: toBase64(`${from}\u007f`) }),
      });
      const { kvs = [] } = (await response.json()) as { kvs?: Array<{ key: string; value?: string }> };
      return new Map(kvs.map(({ key, value }) => [fromBase64(key).slice(prefix.length), fromBase64(value ?? '')]));
    },
    stop: () => etcd.stop(),
  };
}

async function apifyBackend(): Promise<Backend> {
  const fake = await startFakeApify(TOKEN, STORE_ID);
  return {
    name: 'apify',
    url: fake.url,
    childArgs: [STORE_ID, TOKEN],
    classify: (method, path) => apifyRequest(method)(path),
    direct: () => remoteKvAdapter({ dialect: apifyDialect({ baseUrl: fake.url, storeId: STORE_ID, token: TOKEN }) }),
    records: async () => new Map([...fake.records].filter(([name]) => name === KEY || name.startsWith(logNames(KEY).prefix))),
    stop: () => fake.stop(),
  };
}

/** Records of the key its head does not reach: chunks of other snapshots, segments before the snapshot or of other generations. */
function orphansOf(records: Map<string, string>): { chunks: number; segments: number } {
  const names = logNames(KEY);
  const headText = records.get(KEY);
  const head =
    headText === undefined
      ? undefined
      : (JSON.parse(headText) as { gen: string; seq: number; closed: Array<{ gen: string; from: number; to: number }>; snapshot: { id?: string } });
  const orphans = { chunks: 0, segments: 0 };
  for (const name of records.keys()) {
    const parsed = names.parse(name);
    if (parsed?.kind === 'chunk' && parsed.id !== head?.snapshot.id) orphans.chunks++;
    if (parsed?.kind === 'segment') {
      const live =
        head !== undefined &&
        ((parsed.gen === head.gen && parsed.seq > head.seq) || head.closed.some((r) => r.gen === parsed.gen && parsed.seq >= r.from && parsed.seq <= r.to));
      if (!live) orphans.segments++;
    }
  }
  return orphans;
}

/** Where a kill may land: each kind of request of a compaction and of a write, before it lands or once it did. */
const PLACES: ReadonlyArray<{ label: string; matches: (seen: SeenRequest) => boolean; when: 'before' | 'after'; most: number }> = [
  { label: 'chunk put, before it lands (mid-snapshot)', matches: (s) => s.op === 'put' && s.name.includes('(rxps)c.'), when: 'before', most: 24 },
  {
    label: 'chunk put, once it landed (between chunks, or before the head swap)',
    matches: (s) => s.op === 'put' && s.name.includes('(rxps)c.'),
    when: 'after',
    most: 24,
  },
  { label: 'head swap, before it lands (every chunk written)', matches: (s) => s.op === 'put' && s.name === KEY, when: 'before', most: 3 },
  { label: 'head swap, once it landed (clean-up not done)', matches: (s) => s.op === 'put' && s.name === KEY, when: 'after', most: 3 },
  { label: 'segment put, before it lands', matches: (s) => s.op === 'put' && s.name.includes('(rxps)s.'), when: 'before', most: 12 },
  { label: 'segment put, once it landed (answer never heard)', matches: (s) => s.op === 'put' && s.name.includes('(rxps)s.'), when: 'after', most: 12 },
  { label: 'clean-up delete, once it landed', matches: (s) => s.op === 'delete', when: 'after', most: 12 },
  { label: 'any request (open included)', matches: () => true, when: 'after', most: 200 },
];

/**
 * A child writes a large state (about 450 KB: ten chunks of 48 KiB) to one key on `backend`,
 * each update flushed, compacting every 6 records, and is SIGKILLed at a request chosen by the
 * killing proxy: between chunk writes, between the last chunk and the head swap, after the swap
 * before the clean-up, inside a segment write, at any request. After each kill a fresh store read
 * straight from the backend must hold exactly an acknowledged state (n = the last "durable n", or
 * one more: the update in flight), whole (see compactionModel); the next child carries on from
 * it. Orphans (records the head does not reach) are counted after each kill, and once more after
 * a clean run of several compactions.
 */
async function killRounds(
  backend: Backend,
  child: string,
  { rounds, seed, log }: { rounds: number; seed: number; log: (line: string) => void },
): Promise<Figure[]> {
  const next = random(seed ^ (backend.name === 'etcd' ? 0xe7cd : 0xa91f));
  const proxy = await startKillProxy(backend.url, backend.classify);
  const at = new Map<string, number>();
  let durable = 0;
  let lost = 0;
  let corrupt = 0;
  let never = 0;
  let childFailed = 0;
  let orphansMax = { chunks: 0, segments: 0 };
  let running: Lines | undefined;
  const check = async (label: string): Promise<number> => {
    let store;
    try {
      store = await createPersistentStore<CompactionState>({
        key: KEY,
        initial: { n: 0, items: new KeyedMap<string>() },
        adapter: backend.direct(),
        events: EMPTY,
      });
    } catch (error) {
      corrupt++;
      log(`${backend.name} ${label}: the fresh store refused the key: ${(error as Error).message}`);
      return durable;
    }
    const state = store.getState();
    await store.close();
    const why = compactionModel.whyNot(state);
    if (why !== undefined) {
      corrupt++;
      log(`${backend.name} ${label}: restored a state the child never had: ${why}`);
    }
    if (state.n < durable || state.n > durable + 1) {
      lost++;
      log(`${backend.name} ${label}: restored n ${state.n}, acknowledged ${durable}${state.n > durable + 1 ? ' (more than was ever made)' : ''}`);
    }
    return state.n;
  };
  const runChild = async (trigger: KillTrigger | undefined, env: NodeJS.ProcessEnv = {}): Promise<'killed' | 'closed' | 'failed'> => {
    proxy.arm(trigger);
    const lines = linesOf(spawnChild(child, [backend.name, proxy.url, KEY, ...backend.childArgs], env));
    running = lines;
    let outcome: 'closed' | 'failed' | undefined;
    const followed = follow(lines, (line) => {
      const [word, n] = line.split(' ');
      if (word === 'durable') durable = Math.max(durable, Number(n));
      else if (word === 'closed') outcome = 'closed';
      else if (word === 'ready' && line.split(' ')[2] !== 'ok') {
        corrupt++;
        log(`${backend.name}: the child restored a state it never had: ${line}`);
      } else if (word !== 'ready') {
        outcome ??= word === 'write-error' ? undefined : 'failed';
        if (word !== 'write-error') log(`${backend.name}: child: ${line}`);
      }
    });
    const ended = await followed.until(() => lines.child.exitCode !== null || lines.child.signalCode !== null, 60_000);
    if (!ended) await killNow(lines);
    await followed.done;
    running = undefined;
    if (lines.child.signalCode === 'SIGKILL') return ended ? 'killed' : 'failed';
    return outcome ?? (lines.child.exitCode === 0 ? 'closed' : 'failed');
  };
  try {
    for (let round = 1; round <= rounds; round++) {
      const place = PLACES[Math.floor(next() * PLACES.length)]!;
      // `running` is set when the child is spawned, before its first request reaches the proxy.
      const trigger: KillTrigger = {
        matches: place.matches,
        when: place.when,
        skip: Math.floor(next() * place.most),
        kill: () => running && process.kill(running.child.pid!, 'SIGKILL'),
      };
      const outcome = await runChild(trigger);
      if (outcome === 'killed') at.set(place.label, (at.get(place.label) ?? 0) + 1);
      else if (outcome === 'failed') {
        childFailed++;
        log(`${backend.name} round ${round}: the child failed (${place.label})`);
      } else never++;
      const n = await check(`round ${round} (${place.label})`);
      durable = Math.max(durable, n); // the next child carries on from what was stored
      const orphans = orphansOf(await backend.records());
      orphansMax = { chunks: Math.max(orphansMax.chunks, orphans.chunks), segments: Math.max(orphansMax.segments, orphans.segments) };
      if (round % 10 === 0) log(`${backend.name}: ${round} rounds; n ${n}; orphans now ${orphans.chunks} chunks, ${orphans.segments} segments`);
    }
    // A clean run of several compactions: what does the layout still hold that its head does not reach?
    const before = orphansOf(await backend.records());
    const clean = await runChild(undefined, { COMPACTION_STOP_AT: String(durable + 4 * compactionModel.compactAfterRecords) });
    if (clean !== 'closed') childFailed++;
    await check('after the clean run');
    const after = orphansOf(await backend.records());
    const total = await backend.records();
    log(
      `${backend.name}: orphans before the clean run ${before.chunks} chunks / ${before.segments} segments; after ${after.chunks} / ${after.segments}; ${total.size} records in all`,
    );
    const b = backend.name;
    return [
      {
        name: `${b}: kills`,
        value: `${[...at.values()].reduce((a, c) => a + c, 0)} of ${rounds} rounds (${never} rounds ended without reaching their request)`,
      },
      ...[...at].sort().map(([label, count]) => ({ name: `${b}:   killed at ${label}`, value: count })),
      { name: `${b}: updates acknowledged durable`, value: durable },
      mustBeZero(`${b}: acknowledged updates lost (or more restored than was made)`, lost),
      mustBeZero(`${b}: corrupt restores (refused, or a state the child never had)`, corrupt),
      mustBeZero(`${b}: children that failed (error, exit code, no progress in 60 s)`, childFailed),
      { name: `${b}: orphans left by kills, most at once (chunks / segments the head does not reach)`, value: `${orphansMax.chunks} / ${orphansMax.segments}` },
      // Exclusive (Apify): a compaction removes every record its head does not reach, given a
      // listing. Shared (etcd): orphan chunks are kept 1 h (orphanAgeMs: a compaction may still be
      // writing them) and compacted segments one compaction more, so only the count is shown.
      b === 'apify'
        ? {
            name: `${b}: orphans after a clean run of 4 compactions (chunks / segments)`,
            value: `${before.chunks} / ${before.segments} → ${after.chunks} / ${after.segments}`,
            must: '→ 0 / 0',
            ok: after.chunks === 0 && after.segments === 0,
          }
        : {
            name: `${b}: orphans after a clean run of 4 compactions (chunks / segments; chunks are kept 1 h, segments one compaction more, by design)`,
            value: `${before.chunks} / ${before.segments} → ${after.chunks} / ${after.segments}`,
          },
    ];
  } finally {
    if (running) await killNow(running);
    await proxy.stop();
  }
}

function remoteCompaction({ rounds = Number(process.env.TORTURE_COMPACTION_ROUNDS ?? 60) } = {}): Scenario {
  return {
    name: `Remote compaction: ${rounds} SIGKILLs of a writer of a ~450 KB state (10 chunks) on real etcd and on the Apify API server, at chunk writes, the head swap, clean-up, segments`,
    async run({ log, seed }) {
      const { 'compaction-child': child } = await buildChildren(['compaction-child']);
      const figures: Figure[] = [];
      const makers = [apifyBackend, ...(requireBinary(ETCD_BINARY, 'etcd-server').available ? [etcdBackend] : [])];
      if (makers.length === 1) figures.push({ name: 'etcd', value: `${ETCD_BINARY} is missing (apt-get install etcd-server)`, must: 'installed', ok: false });
      for (const make of makers) {
        const backend = await make();
        try {
          log(`${backend.name} ${backend.url}`);
          figures.push(...(await killRounds(backend, child!, { rounds, seed, log })));
        } finally {
          await backend.stop();
        }
      }
      return figures;
    },
  };
}

export default remoteCompaction();
