/**
 * Which addresses a connection that a team configured may reach. Data sources use it; any other
 * outgoing connection a team can point somewhere (a webhook, a customer's bucket) should ask the
 * same module rather than keep a list of ranges of its own.
 *
 * Outside development, loopback, private, link-local (cloud metadata services live there),
 * carrier-grade NAT, unspecified, multicast and reserved addresses are refused, so that a team
 * admin cannot aim the app at its own network: its database, its Redis, the metadata service
 * that hands out the host's cloud credentials. The check runs on the addresses a host name
 * resolves to, never on the name, and callers connect to an address that passed (see
 * `resolvePermittedAddresses`), so a name that resolves elsewhere a moment later (DNS rebinding)
 * gains nothing. An IPv6 address that embeds an IPv4 one (::ffff:127.0.0.1, NAT64, 6to4) is
 * judged by the IPv4 address.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

import { AppError } from "~/server/errors";

export type AddressClass =
  | "public"
  | "loopback"
  | "private"
  | "link-local"
  | "carrier-grade-nat"
  | "unspecified"
  | "multicast"
  | "reserved";

export interface NetworkPolicy {
  /** Development, or an operator's explicit choice: every address is allowed. */
  allowPrivateNetworks: boolean;
  /** The setting that allows private networks, named in refusals so an operator knows what to change. */
  overrideSetting: string;
}

type Range = { prefix: number[]; bits: number; class: AddressClass };

const ipv4Ranges: Range[] = [
  { prefix: [0], bits: 8, class: "unspecified" },
  { prefix: [127], bits: 8, class: "loopback" },
  { prefix: [10], bits: 8, class: "private" },
  { prefix: [172, 16], bits: 12, class: "private" },
  { prefix: [192, 168], bits: 16, class: "private" },
  { prefix: [100, 64], bits: 10, class: "carrier-grade-nat" },
  { prefix: [169, 254], bits: 16, class: "link-local" },
  // IETF protocol assignments (Oracle Cloud's metadata service is 192.0.0.192), documentation
  // and benchmarking networks: nothing a data source legitimately lives on.
  { prefix: [192, 0, 0], bits: 24, class: "reserved" },
  { prefix: [192, 0, 2], bits: 24, class: "reserved" },
  { prefix: [198, 18], bits: 15, class: "reserved" },
  { prefix: [198, 51, 100], bits: 24, class: "reserved" },
  { prefix: [203, 0, 113], bits: 24, class: "reserved" },
  { prefix: [224], bits: 4, class: "multicast" },
  { prefix: [240], bits: 4, class: "reserved" },
];

const ipv6Ranges: Range[] = [
  { prefix: [0xfe, 0x80], bits: 10, class: "link-local" },
  // Unique local addresses (AWS's IPv6 metadata service is fd00:ec2::254) and the old site-local ones.
  { prefix: [0xfc], bits: 7, class: "private" },
  { prefix: [0xfe, 0xc0], bits: 10, class: "private" },
  { prefix: [0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], bits: 48, class: "private" },
  { prefix: [0xff], bits: 8, class: "multicast" },
  { prefix: [0x20, 0x01, 0x0d, 0xb8], bits: 32, class: "reserved" },
  { prefix: [0x01, 0x00, 0, 0, 0, 0, 0, 0], bits: 64, class: "reserved" },
];

function inRange(bytes: Uint8Array, range: Range): boolean {
  for (let bit = 0; bit < range.bits; bit += 8) {
    const mask = (0xff << (8 - Math.min(8, range.bits - bit))) & 0xff;
    if ((bytes[bit / 8]! & mask) !== ((range.prefix[bit / 8] ?? 0) & mask)) return false;
  }
  return true;
}

function ipv4Bytes(address: string): Uint8Array {
  return Uint8Array.from(address.split(".").map(Number));
}

/** The 16 bytes of an IPv6 address that `isIP` accepted, zone id dropped. */
function ipv6Bytes(address: string): Uint8Array {
  const groups = (part: string): number[] =>
    part === ""
      ? []
      : part.split(":").flatMap((group) => {
          if (!group.includes(".")) return [parseInt(group, 16)];
          const [a, b, c, d] = ipv4Bytes(group);
          return [(a! << 8) | b!, (c! << 8) | d!];
        });
  const [head = "", tail] = address.split("%")[0]!.split("::");
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? left : [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return Uint8Array.from(all.flatMap((group) => [group >> 8, group & 0xff]));
}

const zeros = (bytes: Uint8Array, from: number, to: number) => bytes.slice(from, to).every((b) => b === 0);

/** The IPv4 address of an IPv4-mapped IPv6 address (::ffff:a.b.c.d), which is that IPv4 host. */
function mappedIpv4(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length === 16 && zeros(bytes, 0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12);
  return undefined;
}

/** The IPv4 address inside an IPv4-mapped, NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address. */
function embeddedIpv4(bytes: Uint8Array): Uint8Array | undefined {
  const mapped = mappedIpv4(bytes);
  if (mapped) return mapped;
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(bytes, 4, 12)) return bytes.slice(12);
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return bytes.slice(2, 6);
  return undefined;
}

function classifyBytes(bytes: Uint8Array): AddressClass {
  if (bytes.length === 4) return ipv4Ranges.find((r) => inRange(bytes, r))?.class ?? "public";
  const ipv4 = embeddedIpv4(bytes);
  if (ipv4) return classifyBytes(ipv4);
  if (zeros(bytes, 0, 16)) return "unspecified";
  if (zeros(bytes, 0, 15) && bytes[15] === 1) return "loopback";
  // The deprecated IPv4-compatible form (::a.b.c.d) and the rest of ::/96.
  if (zeros(bytes, 0, 12)) return "reserved";
  return ipv6Ranges.find((r) => inRange(bytes, r))?.class ?? "public";
}

function addressBytes(address: string): Uint8Array {
  const bare = address.replace(/^\[(.*)\]$/, "$1");
  const version = isIP(bare);
  if (version === 4) return ipv4Bytes(bare);
  if (version === 6) return ipv6Bytes(bare);
  throw new Error(`Not an IP address: ${address}`);
}

/** The class of an IPv4 or IPv6 address (brackets allowed). */
export function classifyAddress(address: string): AddressClass {
  return classifyBytes(addressBytes(address));
}

/** One spelling per address, IPv4-mapped IPv6 as IPv4, so that two spellings compare equal. */
export function addressKey(address: string): string {
  const bytes = addressBytes(address);
  const ipv4 = bytes.length === 4 ? bytes : mappedIpv4(bytes);
  return ipv4 ? ipv4.join(".") : Buffer.from(bytes).toString("hex");
}

const classNames: Record<Exclude<AddressClass, "public">, string> = {
  loopback: "a loopback address",
  private: "a private network address",
  "link-local": "a link-local address (where cloud metadata services live)",
  "carrier-grade-nat": "a carrier-grade NAT address",
  unspecified: "an unspecified address",
  multicast: "a multicast address",
  reserved: "a reserved address",
};

/**
 * The addresses `host` resolves to (an IP literal resolves to itself), in the resolver's order.
 * A failed lookup rejects with the resolver's error (ENOTFOUND, EAI_AGAIN…).
 */
export async function resolveAddresses(host: string): Promise<string[]> {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  if (isIP(bare)) return [bare];
  const found = await lookup(bare, { all: true, verbatim: true });
  return found.map((a) => a.address);
}

/** Refuses addresses the policy does not allow: AppError BAD_REQUEST naming the host and the kind of address. */
export function assertPermitted(host: string, addresses: readonly string[], policy: NetworkPolicy): void {
  if (policy.allowPrivateNetworks) return;
  for (const address of addresses) {
    const kind = classifyAddress(address);
    if (kind === "public") continue;
    throw new AppError(
      "BAD_REQUEST",
      `The host "${host}" resolves to ${classNames[kind]}, which is not allowed here: ` +
        `private networks are off outside development (${policy.overrideSetting}=true turns them on)`,
    );
  }
}

/**
 * Resolves `host` and refuses it unless every address it resolves to is allowed; a name that
 * resolves to one public and one private address is refused. Connect to one of the addresses
 * returned, not to the name.
 */
export async function resolvePermittedAddresses(host: string, policy: NetworkPolicy): Promise<string[]> {
  const addresses = await resolveAddresses(host);
  assertPermitted(host, addresses, policy);
  return addresses;
}
