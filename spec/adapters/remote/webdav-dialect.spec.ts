import { EMPTY } from 'rxjs';
import { remoteKvAdapter } from '../../../src/adapters/remote/remote-kv-adapter.js';
import { ConflictError } from '../../../src/errors.js';
import { createPersistentStore } from '../../../src/store/create-persistent-store.js';
import { APACHE_BINARY, startApacheDav } from '../../support/apache-server.js';
import { describeWithBinary } from '../../support/server-binaries.js';

describeWithBinary(APACHE_BINARY, 'apache2')('remote KV adapter, webdav dialect (real Apache mod_dav)', () => {
  let apache: Awaited<ReturnType<typeof startApacheDav>>;
  beforeAll(async () => {
    apache = await startApacheDav();
  }, 30_000);
  afterAll(() => apache?.stop());

  const adapter = () => remoteKvAdapter({ dialect: { dialect: 'webdav', baseUrl: apache.url }, retryDelayMs: 5 });

  test('a store round-trips through PUT and GET', async () => {
    const first = await createPersistentStore({ key: 'DAV', initial: { list: [] as string[] }, adapter: adapter(), events: EMPTY });
    first.update((s) => void s.list.push('a', 'ü'));
    await first.flush();
    first.update((s) => void s.list.push('b'));
    await first.close();
    const second = await createPersistentStore({ key: 'DAV', initial: { list: [] as string[] }, adapter: adapter(), events: EMPTY });
    expect(second.getState()).toEqual({ list: ['a', 'ü', 'b'] });
    await second.close();
  });

  test('If-None-Match: * and If-Match with strong ETags: a stale writer gets ConflictError', async () => {
    const one = adapter();
    const two = adapter();
    expect(await one.read('RACE')).toBeUndefined();
    expect(await two.read('RACE')).toBeUndefined();
    await one.write('RACE', { by: 'one' });
    await expect(two.write('RACE', { by: 'two' })).rejects.toBeInstanceOf(ConflictError);
    expect(await two.read('RACE')).toEqual({ by: 'one' });
    await two.write('RACE', { by: 'two' });
    await expect(one.write('RACE', { by: 'one' })).rejects.toBeInstanceOf(ConflictError);
    expect(await one.read('RACE')).toEqual({ by: 'two' });
    await one.write('RACE', { by: 'one, after reading' }); // the ETag computed for our own PUT matches Apache's
    await one.write('RACE', { by: 'one, again' });
    expect(await two.read('RACE')).toEqual({ by: 'one, again' });
  });

  test('rename never replaces; delete of a missing key is fine', async () => {
    const a = adapter();
    await a.read('FROM');
    await a.write('FROM', 1);
    await a.read('TO');
    await a.write('TO', 2);
    await expect(a.rename('FROM', 'TO')).rejects.toBeInstanceOf(ConflictError);
    await a.rename('FROM', 'MOVED');
    expect(await a.read('MOVED')).toBe(1);
    expect(await a.read('FROM')).toBeUndefined();
    await a.delete('FROM');
  });
});
