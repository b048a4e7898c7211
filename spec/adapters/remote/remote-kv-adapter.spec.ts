import { remoteKvAdapter } from '../../../src/adapters/remote/remote-kv-adapter.js';
import { etcdDialect } from '../../../src/adapters/remote/dialects/etcd.js';
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
