import { PersistentStoreError } from '../../errors.js';
import { escapeControls } from '../../text/escape-controls.js';
import { redactUrl, SECRET_NAME } from '../../text/redact-url.js';
import { fromBase64 } from './base64.js';
import { base64Forms, secretPattern } from './secret-forms.js';

/** Headers whose values say nothing secret. */
const SAFE_HEADERS = new Set(['content-type', 'accept', 'if-match', 'if-none-match', 'content-length']);
/** A value of a header whose name does not look like a credential's counts as a secret only from this long: shorter ones are too likely to be ordinary words. */
const MIN_OTHER_HEADER = 8;
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

/** `user:password` → the password and the pair (a user name alone is no secret); a lone user (a token used as user name) when long enough. */
const pairSecrets = (pair: string): string[] => {
  const [user = '', password] = pair.split(/:(.*)/s);
  if (password !== undefined && password !== '') return [password, pair];
  return user.length >= MIN_OTHER_HEADER ? [user] : [];
};

/**
 * The credentials one request carries: the URL's userinfo password and `user:password` (raw and
 * decoded), the values of query parameters with secret-looking names, the values of headers
 * named like credentials (`SECRET_NAME`: authorization, cookie, x-api-key, …) and of other
 * headers (but content-type, accept, if-match, if-none-match, content-length) at least 8
 * characters long, and what follows `Bearer ` / `Basic ` (with Basic's decoded password and
 * `user:password`). A user name alone is not a secret: redacting `u` would garble every message.
 *
 * @example requestSecrets('https://u:p@h/x?token=t', { authorization: 'Bearer abc' }); // has 'p', 'u:p', 't', 'Bearer abc' and 'abc'
 */
export function requestSecrets(url: string, headers: Readonly<Record<string, string>> = {}): string[] {
  const found: string[] = [];
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)@/i.exec(url)?.[1]; // up to the last @, as URL reads it
  if (userinfo) found.push(...pairSecrets(userinfo), ...pairSecrets(decode(userinfo)));
  const query = /\?([^#]*)/.exec(url)?.[1] ?? '';
  for (const pair of query.split('&')) {
    const [name = '', value = ''] = pair.split(/=(.*)/s);
    if (value !== '' && SECRET_NAME.test(decode(name, true))) found.push(value, decode(value, true));
  }
  for (const [name, value] of Object.entries(headers)) {
    const credential = SECRET_NAME.test(name);
    if (value.trim() === '' || (!credential && (SAFE_HEADERS.has(name.toLowerCase()) || value.trim().length < MIN_OTHER_HEADER))) continue;
    found.push(value);
    const scheme = /^\s*(bearer|basic)\s+(\S+)\s*$/i.exec(value);
    if (!scheme) continue;
    found.push(scheme[2]!);
    if (scheme[1]!.toLowerCase() === 'basic') {
      try {
        found.push(...pairSecrets(fromBase64(scheme[2]!)));
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
  private readonly secrets = new Set<string>();
  /** All secrets in all their forms, longest first (so a secret containing another goes whole); built when first needed. */
  private pattern: RegExp | undefined;

  constructor(secrets: Iterable<string> = []) {
    this.add(...secrets);
  }

  /** Adds secrets; each is matched in every form a server may echo it in (see `secretPattern`), and so is its base64. */
  add(...secrets: string[]): this {
    for (const secret of secrets) {
      if (secret === '' || this.secrets.has(secret)) continue;
      this.secrets.add(secret);
      for (const form of base64Forms(secret)) this.secrets.add(form);
      this.pattern = undefined;
    }
    return this;
  }

  /** Adds the credentials of a request (see `requestSecrets`). */
  addRequest(url: string, headers?: Readonly<Record<string, string>>): this {
    return this.add(...requestSecrets(url, headers));
  }

  /** `text` without any known secret, URL userinfo or secret-looking query value. */
  text(text: string): string {
    if (this.pattern === undefined && this.secrets.size > 0) {
      const longestFirst = [...this.secrets].sort((a, b) => b.length - a.length);
      this.pattern = new RegExp(longestFirst.map(secretPattern).join('|'), 'g');
    }
    return redactUrl(this.pattern === undefined ? text : text.replace(this.pattern, MARK));
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
    if (!(error instanceof Error))
      return typeof error === 'string' ? this.message(error) : error === undefined || error === null ? error : new Error(this.message(String(error)));
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
