import { PersistentStoreError } from '../../errors.js';
import { escapeControls } from '../../text/escape-controls.js';
import { fromBase64 } from './base64.js';

/** Headers whose values say nothing secret; every other header value is treated as a credential. */
const SAFE_HEADERS = new Set(['content-type', 'accept', 'if-match', 'if-none-match', 'content-length']);
/** Query parameters whose values are credentials: `token`, `api_key`, `X-Amz-Signature`, `sig`, … */
const SECRET_PARAM = /token|key|secret|password|auth|signature|sig|credential/i;
/** `scheme://user:password@`, in any text: the userinfo goes even when its value is not known. */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/gi;
const MARK = '[redacted]';
/** How deep a cause chain is copied; deeper causes are dropped. */
const MAX_CAUSES = 8;

/** Percent-decoded; in a query, `+` is a space too. */
const decode = (text: string, query = false): string => {
  try {
    return decodeURIComponent(query ? text.replace(/\+/g, ' ') : text);
  } catch {
    return text;
  }
};

/**
 * The credentials one request carries: the URL's userinfo, the values of query parameters with
 * secret-looking names, every header value but content-type, accept, if-match, if-none-match and
 * content-length, and what follows `Bearer ` / `Basic ` (with Basic's decoded `user:password`).
 *
 * @example requestSecrets('https://u:p@h/x?token=t', { authorization: 'Bearer abc' }); // has 'u', 'p', 't', 'Bearer abc' and 'abc'
 */
export function requestSecrets(url: string, headers: Readonly<Record<string, string>> = {}): string[] {
  const found: string[] = [];
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)@/i.exec(url)?.[1]; // up to the last @, as URL reads it
  if (userinfo) found.push(...userinfo.split(/:(.*)/s).filter(Boolean).flatMap((part) => [part, decode(part)]), userinfo);
  const query = /\?([^#]*)/.exec(url)?.[1] ?? '';
  for (const pair of query.split('&')) {
    const [name = '', value = ''] = pair.split(/=(.*)/s);
    if (value !== '' && SECRET_PARAM.test(decode(name, true))) found.push(value, decode(value, true));
  }
  for (const [name, value] of Object.entries(headers)) {
    if (SAFE_HEADERS.has(name.toLowerCase()) || value.trim() === '') continue;
    found.push(value);
    const scheme = /^\s*(bearer|basic)\s+(\S+)\s*$/i.exec(value);
    if (!scheme) continue;
    found.push(scheme[2]!);
    if (scheme[1]!.toLowerCase() === 'basic') {
      try {
        const pair = fromBase64(scheme[2]!);
        found.push(pair, ...pair.split(/:(.*)/s).filter(Boolean));
      } catch {
        // not base64: the raw value is redacted already
      }
    }
  }
  return found.filter((secret) => secret !== '');
}

/**
 * The one redaction of the remote adapter: knows the secrets of the requests of one operation
 * (and the dialect's own) and removes them, in every form they may be echoed in, from any text
 * or error before it leaves the adapter.
 *
 * @example
 * const redactor = new Redactor([token]).addRequest(url, headers);
 * throw redactor.error(error);
 */
export class Redactor {
  /** Longest first, so that a secret containing another is removed whole. */
  private secrets: string[] = [];

  constructor(secrets: Iterable<string> = []) {
    this.add(...secrets);
  }

  /** Adds secrets, with their URL-encoded and JSON-escaped forms. */
  add(...secrets: string[]): this {
    const known = new Set(this.secrets);
    for (const secret of secrets) {
      for (const form of [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]) {
        if (form !== '' && !known.has(form)) known.add(form);
      }
    }
    this.secrets = [...known].sort((a, b) => b.length - a.length);
    return this;
  }

  /** Adds the credentials of a request (see `requestSecrets`). */
  addRequest(url: string, headers?: Readonly<Record<string, string>>): this {
    return this.add(...requestSecrets(url, headers));
  }

  /** `text` without any known secret or URL userinfo. */
  text(text: string): string {
    let clean = text.replace(USERINFO, '$1');
    for (const secret of this.secrets) clean = clean.split(secret).join(MARK);
    return clean;
  }

  /** For a message: redacted, and with control characters escaped (newlines kept). */
  message(text: string): string {
    return escapeControls(this.text(text), '\n');
  }

  /** A body shown in a message: redacted whole (so no cut can split a secret), then at most `max` characters, escaped. */
  excerpt(body: string, max = 200): string {
    const clean = this.text(body);
    return escapeControls(clean.length > max ? `${clean.slice(0, max)}…` : clean);
  }

  /**
   * `error` with no secret left in its message, stack, string fields or cause chain. The
   * library's own errors keep their class and are cleaned in place; anything else becomes a
   * plain `Error` copy (name, message, `code`, stack and cause, all cleaned); a chain deeper
   * than 8 causes is cut.
   */
  error(error: unknown, depth = 0): unknown {
    if (!(error instanceof Error)) return typeof error === 'string' ? this.message(error) : error === undefined || error === null ? error : new Error(this.message(String(error)));
    const target = (error instanceof PersistentStoreError ? error : Object.assign(new Error(''), { name: error.name })) as Error & Record<string, unknown>;
    if (!(error instanceof PersistentStoreError)) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string') target.code = this.message(code);
    } else {
      for (const [name, value] of Object.entries(error)) if (typeof value === 'string') target[name] = this.message(value);
    }
    target.message = this.message(error.message);
    target.stack = error.stack === undefined ? undefined : this.message(error.stack);
    if ('cause' in error) {
      const cause = depth < MAX_CAUSES ? this.error(error.cause, depth + 1) : undefined;
      Object.defineProperty(target, 'cause', { value: cause, writable: true, configurable: true, enumerable: false });
    }
    return target;
  }
}
