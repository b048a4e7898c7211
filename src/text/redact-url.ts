/**
 * Names (of query parameters, headers) whose values are credentials: `token`, `api_key`,
 * `X-Amz-Signature`, `sig`, `password`, `session_id`, `Cookie`, `Authorization`, …
 */
export const SECRET_NAME = /key|token|secret|auth|pass|sig|session|credential|cookie/i;

/** `scheme://userinfo@`, up to the last `@` before the path, as URL reads it. */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/gi;
/**
 * One `name=value` of a query (or of a fragment, which some servers read too). In running text
 * a quote or bracket ends it, as it ends a quoted URL, and so does punctuation at its end (`…?token=x, then`);
 * a value redacted already is left as it is.
 */
const PARAMETER = /([?&;#])([^=&;#\s"'<>`]*)=(\[redacted\]|[^&;#\s"'<>`]*?)(?=[.,:!?)\]]*(?:[&;#\s"'<>`]|$))/g;
const MARK = '[redacted]';

const decoded = (text: string): string => {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
};

/**
 * `text` with every URL in it shown without its secrets: the userinfo (`user:password@`) is
 * removed, and the values of query parameters with secret-looking names (see `SECRET_NAME`)
 * become `[redacted]`. Works on a bare URL, a garbled one, or a message with URLs in it.
 *
 * @example redactUrl('ws://u:pw@host/events?token=abc&page=2'); // 'ws://host/events?token=[redacted]&page=2'
 */
export function redactUrl(text: string): string {
  return text
    .replace(USERINFO, '$1')
    .replace(PARAMETER, (whole, separator: string, name: string, value: string) =>
      value !== '' && SECRET_NAME.test(decoded(name)) ? `${separator}${name}=${MARK}` : whole,
    );
}
