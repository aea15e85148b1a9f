import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { AppError } from '../lib/errors.ts';

// Cloud metadata endpoints and link-local ranges: a source URL pointing there is an SSRF attempt.
// Loopback and private ranges stay allowed: the simulator and on-premise gateways live there, and
// only admins can set source URLs.
const BLOCKED_HOSTS = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);

/** The decision list. Every address form is first reduced to one of these plain forms (see below). */
const FORBIDDEN = new net.BlockList();
FORBIDDEN.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local, AWS/GCP/Azure/Oracle metadata
FORBIDDEN.addSubnet('0.0.0.0', 8, 'ipv4'); // "this network": never a real destination
FORBIDDEN.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata
FORBIDDEN.addAddress('168.63.129.16', 'ipv4'); // Azure wire server
FORBIDDEN.addSubnet('fe80::', 10, 'ipv6'); // link-local
FORBIDDEN.addAddress('::', 'ipv6'); // unspecified
FORBIDDEN.addAddress('fd00:ec2::254', 'ipv6'); // AWS metadata over IPv6

const ipv4Of = (hi: number, lo: number): string => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;

/**
 * The IPv4 address an IPv6 address carries, for every form a router or the kernel turns back into
 * an IPv4 connection: v4-mapped (::ffff:0:0/96) and v4-translated (::ffff:0:0:0/96), NAT64
 * (64:ff9b::/96 and the local-use 64:ff9b:1::/48), 6to4 (2002::/16), Teredo (2001::/32, client
 * address inverted) and the deprecated v4-compatible ::/96.
 */
export const embeddedIPv4 = (addr: ipaddr.IPv6): string | undefined => {
  const p = addr.parts;
  switch (addr.range()) {
    case 'ipv4Mapped':
    case 'rfc6145':
    case 'rfc6052':
      return ipv4Of(p[6]!, p[7]!);
    case '6to4':
      return ipv4Of(p[1]!, p[2]!);
    case 'teredo':
      return ipv4Of(~p[6]! & 0xffff, ~p[7]! & 0xffff);
  }
  if (p.slice(0, 6).every((x) => x === 0) && (p[6] !== 0 || p[7]! > 1)) return ipv4Of(p[6]!, p[7]!);
  return undefined;
};

/**
 * True for an address our collectors must never connect to (link-local, cloud metadata, the
 * unspecified address), in any notation: bracketed or not, with a zone id, IPv4 in decimal, octal or
 * hex, or IPv4 embedded in IPv6 (mapped, NAT64, 6to4, Teredo, compatible). Names are not addresses:
 * false (they are checked by name and again once resolved).
 */
export const isForbiddenAddress = (ip: string): boolean => {
  let a = ip.trim().toLowerCase();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  if (!ipaddr.isValid(a)) return false;
  const addr = ipaddr.parse(a);
  if (addr.kind() === 'ipv4') return FORBIDDEN.check(addr.toString(), 'ipv4');
  const v6 = addr as ipaddr.IPv6;
  const v4 = embeddedIPv4(v6);
  if (v4 !== undefined && FORBIDDEN.check(v4, 'ipv4')) return true;
  return FORBIDDEN.check(new ipaddr.IPv6(v6.parts).toNormalizedString(), 'ipv6');
};

/**
 * Checks a source URL before any connection: http(s) only, no credentials in it, not a metadata host
 * or a link-local / metadata IP literal in any notation (the WHATWG parser has already turned
 * decimal, octal and hex IPv4 into dotted form). Names are checked again after DNS resolution.
 * @throws AppError VALIDATION naming the problem.
 */
export const assertFetchableUrl = (raw: string): URL => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('VALIDATION', `source URL '${raw}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new AppError(
      'VALIDATION',
      `source URL protocol ${url.protocol} is not allowed (http or https only)`,
    );
  // Credentials would be sent to whoever answers and end up in logs and ingestion_logs.source_url.
  if (url.username !== '' || url.password !== '')
    throw new AppError('VALIDATION', 'source URL must not contain credentials (user:password@)');
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (BLOCKED_HOSTS.has(host) || isForbiddenAddress(host))
    throw new AppError('VALIDATION', `source URL host ${url.hostname} is a link-local or metadata address`);
  return url;
};
