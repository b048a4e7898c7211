import { etcdDialect } from '../../../src/adapters/remote/dialects/etcd.js';
import { remoteKvAdapter, type RemoteKvAdapterOptions } from '../../../src/adapters/remote/remote-kv-adapter.js';
import { InvalidOptionError } from '../../../src/errors.js';

describe('remoteKvAdapter options', () => {
  const dialect = etcdDialect({ endpoint: 'http://127.0.0.1:1' }); // never reached: the options are refused first

  test.each(['timeoutMs', 'retryDelayMs', 'maxRetryDelayMs'] as const)('%s must be a duration above 0 that a timer can wait', (name) => {
    // Infinity once got through: a timer given it fires at once, so every request timed out.
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, '200']) {
      expect(() => remoteKvAdapter({ dialect, [name]: bad })).toThrow(InvalidOptionError);
      expect(() => remoteKvAdapter({ dialect, [name]: bad })).toThrow(new RegExp(`^Invalid option "${name}": expected a duration in ms`));
    }
    expect(() => remoteKvAdapter({ dialect, [name]: 1 })).not.toThrow();
  });
});

// One spelling for a service: `dialect: etcdDialect({ endpoint })`. The earlier object form
// (`{ dialect: 'etcd', endpoint }`) said "dialect" twice; a call still written that way, from
// JavaScript or with a cast, must say what to write instead, and must not echo a credential.
describe('remoteKvAdapter({ dialect })', () => {
  const refusal = (dialect: unknown): InvalidOptionError => {
    try {
      remoteKvAdapter({ dialect } as unknown as RemoteKvAdapterOptions);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidOptionError);
      return error as InvalidOptionError;
    }
    throw new Error('not refused');
  };

  test.each([
    [{ dialect: 'etcd', endpoint: 'http://127.0.0.1:2379' }, 'etcdDialect'],
    [{ dialect: 'webdav', baseUrl: 'http://127.0.0.1:8080/state' }, 'webDavDialect'],
    [{ dialect: 'apify', token: 'SECRET-TOKEN' }, 'apifyDialect'],
  ])('the earlier object form %o is refused, naming %s', (old, factory) => {
    const error = refusal(old);
    expect(error.option).toBe('dialect');
    expect(error.message).toContain(`remoteKvAdapter({ dialect: ${factory}({ … }) })`);
    expect(error.message).not.toContain('SECRET-TOKEN');
  });

  test.each([undefined, null, 'etcd', { dialect: 'redis' }, { get: () => undefined }])(
    'anything but a KvDialect (%p) is refused, naming the factories',
    (given) => {
      expect(refusal(given).message).toContain('expected a KvDialect: apifyDialect(), etcdDialect({ endpoint }), webDavDialect({ baseUrl })');
    },
  );
});
