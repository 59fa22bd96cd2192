/**
 * URLs as they may be logged or printed: credentials in the user-info part
 * (`scheme://user:password@host`) are replaced by `[redacted]`, everything else is kept so the
 * line still says where the process connects. A pure function; edge and cloud both use it for
 * the addresses they log (the edge's MQTT bridge, the cloud's time-series DB).
 */
export const REDACTED = '[redacted]';

export function redactUrl(text: string): string {
  if (URL.canParse(text)) {
    const url = new URL(text);
    if (url.host !== '') {
      if (url.username === '' && url.password === '') return text;
      return `${url.protocol}//${REDACTED}@${url.host}${url.pathname}${url.search}${url.hash}`;
    }
  }
  // Not a URL with an authority (or not a URL at all, e.g. a password with an unescaped "/"):
  // everything before the last "@" may be a credential, so all of it goes.
  return text.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)?.*@/s, `$1${REDACTED}@`);
}
