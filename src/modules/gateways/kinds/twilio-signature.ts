// Twilio signs every webhook request (status callbacks, inbound messages) with the account's auth
// token: X-Twilio-Signature = base64(HMAC-SHA1(auth token, the full URL it was given, query
// included, followed by each POST parameter's name and value, sorted by name; a repeated
// parameter gives each distinct value, sorted)). Twilio is not consistent about the port in the
// URL it signs, so, as its own libraries do (twilio-node's validateRequest), the URL is tried
// without its port and with it (the scheme's default when none is written).
import crypto from 'node:crypto';

export type FormParams = Record<string, string | string[]>;

/** The signature Twilio sends for a request to `url` with these POST parameters. */
export function twilioSignature(authToken: string, url: string, params: FormParams): string {
  const data = Object.keys(params)
    .sort()
    .reduce((signed, name) => signed + namesAndValues(name, params[name]!), url);
  return crypto.createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

function namesAndValues(name: string, value: string | string[]): string {
  if (!Array.isArray(value)) return name + value;
  return [...new Set(value)]
    .sort()
    .map((one) => name + one)
    .join('');
}

function withoutPort(url: URL): string {
  const copy = new URL(url);
  copy.port = '';
  return copy.toString();
}

/** The URL with its port written out (443 or 80 when it has none: URL leaves the default out). */
function withPort(url: URL): string {
  if (url.port) return url.toString();
  const userinfo = url.username ? `${url.username}${url.password ? `:${url.password}` : ''}@` : '';
  return `${url.protocol}//${userinfo}${url.host}:${url.protocol === 'https:' ? 443 : 80}${url.pathname}${url.search}${url.hash}`;
}

/** Whether `signature` is Twilio's for this request, compared in constant time. */
export function validTwilioSignature(authToken: string, signature: string, url: string, params: FormParams): boolean {
  const given = Buffer.from(signature);
  const parsed = new URL(url);
  return [withoutPort(parsed), withPort(parsed)].some((candidate) => {
    const expected = Buffer.from(twilioSignature(authToken, candidate, params));
    return expected.length === given.length && crypto.timingSafeEqual(expected, given);
  });
}
