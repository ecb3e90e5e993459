// The one way a gateway kind talks to a provider over HTTP (Kannel's sendsms, Twilio's API, a
// generic provider): keep-alive connections, a timeout, and the address checked when the
// connection is made, not only when the URL was saved, so a name that resolves elsewhere later
// cannot reach what it must not:
// - link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254,
//   100.100.100.200) are always refused;
// - loopback and private addresses are allowed (a self-hosted Kannel usually runs beside
//   Textcast) unless the operator sets GATEWAY_PRIVATE_URLS=deny (installations whose account
//   owners are not the operator).
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import dns from 'node:dns';

export type PrivateUrls = 'allow' | 'deny';

let privateUrls: PrivateUrls = 'allow';

/** Set once at start-up from GATEWAY_PRIVATE_URLS. */
export function setPrivateUrls(policy: PrivateUrls): void {
  privateUrls = policy;
}

/** A refused destination or a transport failure: no HTTP answer came. */
export class TransportError extends Error {
  constructor(
    message: string,
    /** `refused`: the address is not allowed (never retried); otherwise a network failure. */
    readonly code: 'refused' | 'timeout' | 'network',
  ) {
    super(message);
  }
}

const blockList = (ranges: [string, number, 'ipv4' | 'ipv6'][], addresses: [string, 'ipv4' | 'ipv6'][] = []) => {
  const list = new net.BlockList();
  for (const [network, prefix, family] of ranges) list.addSubnet(network, prefix, family);
  for (const [address, family] of addresses) list.addAddress(address, family);
  return list;
};

const ALWAYS_REFUSED = blockList(
  [
    ['169.254.0.0', 16, 'ipv4'],
    ['fe80::', 10, 'ipv6'],
  ],
  [
    ['fd00:ec2::254', 'ipv6'],
    ['100.100.100.200', 'ipv4'],
  ],
);

const PRIVATE = blockList([
  ['127.0.0.0', 8, 'ipv4'],
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['0.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
  ['::', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'],
]);

/** Why an address may not be reached, or null. An IPv4-mapped IPv6 address is judged as IPv4. */
export function refusedAddress(address: string): string | null {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ip = mapped ?? address;
  const family = net.isIPv4(ip) ? 'ipv4' : 'ipv6';
  if (ALWAYS_REFUSED.check(ip, family)) return `${address} is a link-local or cloud metadata address, which gateways may never reach`;
  if (privateUrls === 'deny' && PRIVATE.check(ip, family)) return `${address} is a loopback or private address, refused here (GATEWAY_PRIVATE_URLS=deny)`;
  return null;
}

/** Why the IP address written in a URL may not be reached, or null (also null for a host name:
 * a name is judged when the connection is made, as it is never looked up beforehand). */
export function refusedLiteral(url: URL): string | null {
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  return net.isIP(literal) ? refusedAddress(literal) : null;
}

/** dns.lookup, refusing the addresses above (used by every connection the agents make). */
const guardedLookup: net.LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) return callback(error, '', 0);
    const list = addresses as dns.LookupAddress[];
    const refused = list.map((a) => refusedAddress(a.address)).find(Boolean);
    if (refused) return callback(Object.assign(new Error(refused), { code: 'EREFUSEDADDRESS' }), '', 0);
    if ((options as dns.LookupOptions).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
    return callback(null, list[0]!.address, list[0]!.family);
  });
};

const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64, lookup: guardedLookup } as http.AgentOptions),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64, lookup: guardedLookup } as https.AgentOptions),
};

export interface GatewayResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** The longest answer read from a provider. */
const MAX_RESPONSE_BYTES = 1_000_000;

/** One HTTP request to a provider; throws TransportError when no answer came (refused address,
 * timeout, connection error). Redirects are not followed. */
export function gatewayRequest(url: string, init: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {}): Promise<GatewayResponse> {
  return new Promise((resolve, reject) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return reject(new TransportError(`not a URL: ${url.slice(0, 100)}`, 'refused'));
    }
    const agent = agents[target.protocol as keyof typeof agents];
    if (!agent) return reject(new TransportError(`only http and https URLs are allowed (${target.protocol})`, 'refused'));
    // An IP written in the URL is never looked up: check it here.
    const refused = refusedLiteral(target);
    if (refused) return reject(new TransportError(refused, 'refused'));
    const request = (target.protocol === 'https:' ? https : http).request(target, { method: init.method ?? 'GET', headers: init.headers, agent, timeout: init.timeoutMs ?? 10_000 }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_RESPONSE_BYTES) chunks.push(chunk);
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', (error) => reject(new TransportError(error.message, 'network')));
    });
    request.on('timeout', () => request.destroy(new TransportError(`no answer from ${target.host} within ${init.timeoutMs ?? 10_000} ms`, 'timeout')));
    request.on('error', (error: Error & { code?: string }) => {
      if (error instanceof TransportError) return reject(error);
      reject(new TransportError(error.code === 'EREFUSEDADDRESS' ? error.message : `${target.host}: ${error.message}`, error.code === 'EREFUSEDADDRESS' ? 'refused' : 'network'));
    });
    if (init.body !== undefined) request.write(init.body);
    request.end();
  });
}
