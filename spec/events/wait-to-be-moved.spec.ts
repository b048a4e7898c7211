import { once } from 'node:events';
import { startFixture, kill, killAll, waitForLine } from '../support/processes.js';
import { startPlatformServer } from '../support/platform-server.js';
import { readStoredState } from '../support/stored-state.js';
import { useTempDir } from '../support/temp-dir.js';

const tempDir = useTempDir('moved');

describe('waitToBeMoved', () => {
  afterEach(killAll);

  test('after migrating, a job that stopped its work stays alive (no exit 13) with its state durable, until it is killed', async () => {
    const server = await startPlatformServer();
    try {
      const dir = tempDir();
      const child = startFixture('wait-to-be-moved-job', [dir], { ACTOR_EVENTS_WEBSOCKET_URL: server.url });
      await waitForLine(child, /^working$/);
      await server.connected();
      server.send({ name: 'migrating', data: { timeRemainingSecs: 30 } });
      const [, at] = await waitForLine(child, /^waiting to be moved at (\d+)$/);
      // An answer proves it is alive: `await new Promise(() => {})` would have ended it with code 13 by now.
      server.send({ name: 'persistState', data: { isMigrating: true } });
      await waitForLine(child, /^still here$/);
      const exited = once(child, 'exit');
      await kill(child, 'SIGKILL');
      const [code, signal] = (await exited.catch(() => [child.exitCode, child.signalCode])) as [number | null, string | null];
      expect([code, signal ?? child.signalCode]).toEqual([null, 'SIGKILL']);
      expect(await readStoredState(dir, 'MOVED')).toEqual({ n: Number(at) }); // durable before it waited
    } finally {
      await server.stop();
    }
  }, 60_000);
});
