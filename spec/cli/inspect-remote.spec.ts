import { remoteTarget } from '../../src/cli/inspect-remote.js';
import { UsageError } from '../../src/cli/cli-error.js';

describe('remoteTarget: --apify takes everything from the environment it is given', () => {
  const env = { APIFY_TOKEN: 'apify_api_T0KEN', APIFY_API_BASE_URL: 'http://127.0.0.1:1/v2/', ACTOR_DEFAULT_KEY_VALUE_STORE_ID: 'run-store' };

  test('token, store and base URL (its /v2 taken off), whatever process.env says; the token is in no location', () => {
    const saved = process.env.APIFY_API_BASE_URL;
    process.env.APIFY_API_BASE_URL = 'http://elsewhere.invalid';
    try {
      const target = remoteTarget({ apify: true }, env)!;
      expect(target.backend).toBe('apify');
      expect(target.adapter.locate('CRAWL')).toBe('http://127.0.0.1:1/v2/key-value-stores/run-store/records/CRAWL');
      expect(remoteTarget({ apify: true, 'store-id': 'someone/other' }, env)!.adapter.locate('K')).toBe(
        'http://127.0.0.1:1/v2/key-value-stores/someone~other/records/K',
      );
    } finally {
      if (saved === undefined) delete process.env.APIFY_API_BASE_URL;
      else process.env.APIFY_API_BASE_URL = saved;
    }
  });

  test('an empty variable counts as unset; an empty --store-id is a mistake, not a fallback', () => {
    expect(() => remoteTarget({ apify: true }, { ...env, APIFY_TOKEN: '' })).toThrow(
      new UsageError('inspect: --apify reads the token from APIFY_TOKEN, which is not set'),
    );
    expect(
      remoteTarget({ apify: true }, { ...env, ACTOR_DEFAULT_KEY_VALUE_STORE_ID: '', APIFY_DEFAULT_KEY_VALUE_STORE_ID: 'old-name' })!.adapter.locate('K'),
    ).toContain('/key-value-stores/old-name/');
    expect(() => remoteTarget({ apify: true, 'store-id': '' }, env)).toThrow(UsageError);
  });
});
