import { jest } from '@jest/globals';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { platformApi } from '../../../src/cli/simulate/platform-api.js';
import { startPlatformServer, type PlatformServer } from '../../../src/cli/simulate/platform-server.js';
import { useTempDir } from '../../support/temp-dir.js';

const storage = useTempDir('platform-api');
const onReboot = jest.fn<() => void>();
const onNotEmulated = jest.fn<(route: string) => void>();
let server: PlatformServer;
beforeEach(async () => {
  onReboot.mockClear();
  onNotEmulated.mockClear();
  server = await startPlatformServer(
    platformApi({ storageDir: storage(), runId: 'run-1', token: 'T', onReboot, onStatusMessage: () => {}, onNotEmulated }).handle,
  );
});
afterEach(() => server.close());

const call = (route: string, init: RequestInit = {}, token = 'T') =>
  fetch(`${server.url}${route}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) } });
const kv = (...names: string[]) => path.join(storage(), 'key_value_stores', 'default', ...names);

describe('the emulated Apify API of the simulator', () => {
  test("records: stored as files in Crawlee's layout, by content type; read back with it; deleted", async () => {
    expect(
      (
        await call('/v2/key-value-stores/default/records/STATE', {
          method: 'PUT',
          body: '{"n":1}',
          headers: { 'content-type': 'application/json; charset=utf-8' },
        })
      ).status,
    ).toBe(201);
    expect(await fs.readFile(kv('STATE.json'), 'utf8')).toBe('{"n":1}');
    const read = await call('/v2/key-value-stores/default/records/STATE?attachment=true');
    expect([read.status, read.headers.get('content-type'), await read.text()]).toEqual([200, 'application/json', '{"n":1}']);
    await call('/v2/key-value-stores/default/records/STATE', { method: 'PUT', body: 'plain', headers: { 'content-type': 'text/plain' } });
    expect(await fs.readdir(kv())).toEqual(['STATE.txt']); // one record, one file
    const keys = await (await call('/v2/key-value-stores/default/keys')).json();
    expect(keys.data.items).toEqual([{ key: 'STATE', size: 5 }]);
    expect((await call('/v2/key-value-stores/default/records/STATE', { method: 'DELETE' })).status).toBe(204);
    expect((await call('/v2/key-value-stores/default/records/STATE')).status).toBe(404);
  });

  test('the token is required; keys and store ids that could leave the folder are refused', async () => {
    expect((await call('/v2/key-value-stores/default/records/STATE', {}, 'wrong')).status).toBe(401);
    for (const route of ['/v2/key-value-stores/default/records/..%2F..%2Fescape', '/v2/key-value-stores/..%2Fx/records/K', '/v2/datasets/..%2F..%2Fx/items']) {
      const response = await call(route, { method: 'PUT', body: '{}', headers: { 'content-type': 'application/json' } });
      expect(response.status).toBe(400);
      expect((await response.json()).error.message).toMatch(/invalid (record key|key-value store id|dataset id)/);
    }
    await expect(fs.readdir(storage())).resolves.toEqual([]);
  });

  test("a key's own records (KEY(rxps)…, as the apify dialect names them) are records like any other", async () => {
    const segment = 'SIM(rxps)s.mx32ub0o2ektr1.0000000000000001';
    const put = await call(`/v2/key-value-stores/default/records/${encodeURIComponent(segment)}`, {
      method: 'PUT',
      body: '{"s":1}',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(put.status).toBe(201);
    expect(await (await call(`/v2/key-value-stores/default/records/${encodeURIComponent(segment)}`)).text()).toBe('{"s":1}');
    expect((await (await call('/v2/key-value-stores/default/keys')).json()).data.items).toEqual([{ key: segment, size: 7 }]);
  });

  test('datasets: items appended as numbered files, listed back in order', async () => {
    await call('/v2/datasets/default/items', { method: 'POST', body: JSON.stringify([{ a: 1 }, { a: 2 }]), headers: { 'content-type': 'application/json' } });
    await call('/v2/datasets/default/items', { method: 'POST', body: JSON.stringify({ a: 3 }), headers: { 'content-type': 'application/json' } });
    expect(await fs.readdir(path.join(storage(), 'datasets', 'default'))).toEqual(['000000001.json', '000000002.json', '000000003.json']);
    expect(await (await call('/v2/datasets/default/items')).json()).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect((await (await call('/v2/datasets/default')).json()).data.itemCount).toBe(3);
  });

  test('the run: read, rebooted (the simulator restarts the job), other runs unknown', async () => {
    expect((await (await call('/v2/actor-runs/run-1')).json()).data).toMatchObject({ id: 'run-1', status: 'RUNNING', defaultKeyValueStoreId: 'default' });
    expect((await call('/v2/actor-runs/run-1/reboot', { method: 'POST' })).status).toBe(200);
    expect(onReboot).toHaveBeenCalledTimes(1);
    expect((await call('/v2/actor-runs/run-2')).status).toBe(404);
  });

  test('what is not emulated answers 501 and is named, never a silent success', async () => {
    const response = await call('/v2/actor-runs/run-1/metamorph', { method: 'POST' });
    expect(response.status).toBe(501);
    expect((await response.json()).error).toEqual({
      type: 'not-emulated',
      message: 'rx-persistent-store simulate does not emulate POST /v2/actor-runs/:id/metamorph',
    });
    expect(onNotEmulated).toHaveBeenCalledWith('POST /v2/actor-runs/:id/metamorph');
  });

  test('a route not emulated under a run or storage that does not exist answers 404 for what is missing, as before the routing table', async () => {
    const answers = async (route: string) => {
      const response = await call(route);
      return [response.status, (await response.json()).error.message];
    };
    expect(await answers('/v2/actor-runs/run-2/metamorph')).toEqual([404, 'no run run-2 here']);
    expect(await answers('/v2/key-value-stores/missing/foo')).toEqual([404, 'key-value store missing was not found']);
    expect(await answers('/v2/key-value-stores/missing/records')).toEqual([404, 'key-value store missing was not found']);
    expect(await answers('/v2/request-queues/missing/foo')).toEqual([404, 'request queue missing was not found']);
    expect(onNotEmulated).not.toHaveBeenCalled();
    expect((await call('/v2/key-value-stores/default/foo')).status).toBe(501); // the store exists: the route is what is missing
  });

  test("a record over the platform's 9 MB is refused with 413", async () => {
    const response = await call('/v2/key-value-stores/default/records/BIG', {
      method: 'PUT',
      body: 'x'.repeat(9 * 1024 * 1024 + 1),
      headers: { 'content-type': 'text/plain' },
    });
    expect(response.status).toBe(413);
    await expect(fs.stat(kv('BIG.txt'))).rejects.toThrow(/ENOENT/);
  });
});
