/**
 * Where a probe may not go. A probe runs inside lbguard's own function, so a probe URL is a request
 * made with that function's network position: pointed at the instance metadata service or at
 * loopback (inside Lambda, the runtime's own API) it would read or disturb lbguard's environment
 * instead of the site. The config refuses such hosts when written as IP literals or as `localhost`;
 * the prober applies the same rule to every address a name resolves to, before it connects
 * (lambdas/adapters/http-prober.ts).
 */

/** Why an address is off limits to probes. */
export type ForbiddenTarget = 'instance-metadata' | 'link-local' | 'loopback' | 'unspecified';

/** Each kind as a noun phrase, for messages of the config and of the prober. */
export const FORBIDDEN_TARGETS: Readonly<Record<ForbiddenTarget, string>> = {
  'instance-metadata': 'the instance metadata service',
  'link-local': 'a link-local address',
  loopback: 'a loopback address',
  unspecified: 'an unspecified address',
};

/** The ranges of each kind, as the config's messages and docs/configuration.md list them. */
export const FORBIDDEN_RANGES: Readonly<Record<ForbiddenTarget, string>> = {
  'instance-metadata': '169.254.169.254, fd00:ec2::/32',
  'link-local': '169.254.0.0/16, fe80::/10',
  loopback: '127.0.0.0/8, ::1, localhost',
  unspecified: '0.0.0.0/8, ::',
};

function parseIpv4(text: string): readonly number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part))) return undefined;
  const octets = parts.map(Number);
  return octets.every((octet) => octet <= 255) ? octets : undefined;
}

/** Eight 16-bit groups; accepts `::` compression, an IPv4 tail and a `%zone` (resolvers add one). */
function parseIpv6(text: string): readonly number[] | undefined {
  let address = (text.split('%', 1)[0] ?? '').toLowerCase();
  const tailAt = address.lastIndexOf(':') + 1;
  if (tailAt === 0) return undefined;
  if (address.includes('.', tailAt)) {
    const v4 = parseIpv4(address.slice(tailAt));
    if (v4 === undefined) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = v4;
    address = `${address.slice(0, tailAt)}${(a * 256 + b).toString(16)}:${(c * 256 + d).toString(16)}`;
  }
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? Number.parseInt(g, 16) : Number.NaN));
  const head = groups(halves[0] ?? '');
  const tail = groups(halves[1] ?? '');
  const missing = 8 - head.length - tail.length;
  if ([...head, ...tail].some(Number.isNaN) || (halves.length === 2 ? missing < 1 : missing !== 0)) {
    return undefined;
  }
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

function classifyIpv4([a, b, c, d]: readonly number[]): ForbiddenTarget | undefined {
  if (a === 169 && b === 254) return c === 169 && d === 254 ? 'instance-metadata' : 'link-local';
  if (a === 127) return 'loopback';
  if (a === 0) return 'unspecified';
  return undefined;
}

function classifyIpv6(g: readonly number[]): ForbiddenTarget | undefined {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0) {
    if (g5 === 0 && g6 === 0 && g7 <= 1) return g7 === 0 ? 'unspecified' : 'loopback';
    // IPv4-mapped (::ffff:a.b.c.d): the socket reaches the IPv4 address.
    if (g5 === 0xffff) return classifyIpv4([g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff]);
  }
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  // AWS's instance services over IPv6: metadata fd00:ec2::254, DNS, time, EKS Pod Identity.
  if (g0 === 0xfd00 && g1 === 0x0ec2) return 'instance-metadata';
  return undefined;
}

/**
 * What kind of forbidden address `address` is, or `undefined` for an address probes may reach or
 * text that is no IP address. Takes IPv4 dotted quads and IPv6 text, bracketed or not.
 */
export function classifyAddress(address: string): ForbiddenTarget | undefined {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const v4 = parseIpv4(bare);
  if (v4 !== undefined) return classifyIpv4(v4);
  const v6 = parseIpv6(bare);
  return v6 === undefined ? undefined : classifyIpv6(v6);
}

/** Whether `host` (a URL's hostname, IPv6 in brackets) is an IP address rather than a name. */
export function isIpLiteral(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return parseIpv4(bare) !== undefined || parseIpv6(bare) !== undefined;
}

/**
 * What kind of forbidden target the host of `url` is by its spelling alone: an IP literal (the URL
 * parser has already turned `0x7f.1` and `2130706433` into `127.0.0.1`) or `localhost`, which
 * always means loopback (RFC 6761). `undefined` for other names, which only resolution can judge,
 * and for text that is no URL.
 */
export function classifyUrlHost(url: string): ForbiddenTarget | undefined {
  if (!URL.canParse(url)) return undefined;
  const host = new URL(url).hostname.toLowerCase().replace(/\.$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback';
  return classifyAddress(host);
}

/** Whether a target of this kind is refused, given the probe's `allowLoopback`. */
export function isRefused(
  kind: ForbiddenTarget | undefined,
  allowLoopback: boolean,
): kind is ForbiddenTarget {
  return kind !== undefined && !(kind === 'loopback' && allowLoopback);
}
