import { redactUrl } from '../../src/text/redact-url.js';

describe('redactUrl', () => {
  test('drops the userinfo and marks secret-looking query values; the rest is left as it is', () => {
    expect(redactUrl('wss://apify:p%40ss@h:8/events?token=T1&page=2&X-Amz-Signature=S&api_key=&session_id=x#f')).toBe(
      'wss://h:8/events?token=[redacted]&page=2&X-Amz-Signature=[redacted]&api_key=&session_id=[redacted]#f',
    );
  });

  test('works on every URL in a message, and on garbled ones', () => {
    expect(redactUrl('from http://u:p@a/x?password=p to ws://[oops?auth=A;sig=B done')).toBe(
      'from http://a/x?password=[redacted] to ws://[oops?auth=[redacted];sig=[redacted] done',
    );
    expect(redactUrl('no URL here, key points: 3')).toBe('no URL here, key points: 3');
    expect(redactUrl('Location "ftp://x/?token=T"; <a href=\'/?sig=S\'>')).toBe('Location "ftp://x/?token=[redacted]"; <a href=\'/?sig=[redacted]\'>');
    expect(redactUrl('to http://h/?token=T1, then (http://h/?key=K2).')).toBe('to http://h/?token=[redacted], then (http://h/?key=[redacted]).');
    expect(redactUrl(redactUrl('[http://h/?token=T1] and http://h/?sig=[redacted]x'))).toBe('[http://h/?token=[redacted]] and http://h/?sig=[redacted]');
  });
});
