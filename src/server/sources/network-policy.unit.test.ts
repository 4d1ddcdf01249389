import { describe, expect, it } from "vitest";

import { AppError } from "~/server/errors";

import { addressKey, type AddressClass, classifyAddress, resolveAddresses, resolvePermittedAddresses } from "./network-policy";

const production = { allowPrivateNetworks: false, overrideSetting: "DATA_SOURCE_ALLOW_PRIVATE_NETWORKS" };
const development = { ...production, allowPrivateNetworks: true };

describe("classifyAddress", () => {
  const cases: [string, AddressClass][] = [
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["::1", "loopback"],
    ["[::1]", "loopback"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["::", "unspecified"],
    ["10.0.0.1", "private"],
    ["10.255.255.255", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.20", "private"],
    ["fc00::1", "private"],
    ["fd00:ec2::254", "private"],
    ["fec0::1", "private"],
    ["169.254.169.254", "link-local"],
    ["169.254.0.1", "link-local"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["febf::1", "link-local"],
    ["100.64.0.1", "carrier-grade-nat"],
    ["100.100.100.200", "carrier-grade-nat"],
    ["100.127.255.255", "carrier-grade-nat"],
    ["224.0.0.1", "multicast"],
    ["ff02::1", "multicast"],
    ["240.0.0.1", "reserved"],
    ["255.255.255.255", "reserved"],
    ["192.0.0.192", "reserved"],
    ["198.18.0.1", "reserved"],
    ["2001:db8::1", "reserved"],
    ["::7f00:1", "reserved"],
    // IPv4-mapped, NAT64 and 6to4 addresses are judged by the IPv4 address inside.
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["[::ffff:7f00:1]", "loopback"],
    ["::ffff:169.254.169.254", "link-local"],
    ["::ffff:10.1.2.3", "private"],
    ["::ffff:8.8.8.8", "public"],
    ["64:ff9b::a9fe:a9fe", "link-local"],
    ["64:ff9b::808:808", "public"],
    ["2002:7f00:1::1", "loopback"],
    ["2002:808:808::1", "public"],
    // Just outside the ranges.
    ["172.15.255.255", "public"],
    ["172.32.0.0", "public"],
    ["100.63.255.255", "public"],
    ["100.128.0.0", "public"],
    ["169.253.255.255", "public"],
    ["11.0.0.1", "public"],
    ["8.8.8.8", "public"],
    ["2606:4700::1111", "public"],
    ["fbff::1", "public"],
    ["fe7f::1", "public"],
  ];
  for (const [address, expected] of cases) {
    it(`${address} is ${expected}`, () => expect(classifyAddress(address)).toBe(expected));
  }

  it("refuses what is not an address", () => {
    expect(() => classifyAddress("localhost")).toThrow(/Not an IP address/);
  });
});

describe("addressKey", () => {
  it("spells an address one way, an IPv4-mapped IPv6 address as IPv4", () => {
    expect(addressKey("::ffff:7f00:1")).toBe("127.0.0.1");
    expect(addressKey("[::ffff:127.0.0.1]")).toBe("127.0.0.1");
    expect(addressKey("::1")).toBe(addressKey("0:0:0:0:0:0:0:1"));
    expect(addressKey("2001:DB8::1")).toBe(addressKey("2001:db8:0::1"));
    expect(addressKey("64:ff9b::7f00:1")).not.toBe("127.0.0.1");
  });
});

describe("resolvePermittedAddresses", () => {
  it("resolves names, and takes an address (with or without brackets) as itself", async () => {
    expect(await resolveAddresses("localhost")).toContain("127.0.0.1");
    expect(await resolveAddresses("[::1]")).toEqual(["::1"]);
    expect(await resolveAddresses("10.0.0.1")).toEqual(["10.0.0.1"]);
  });

  it("refuses, with the policy on, every spelling of a private or local address, after resolving it", async () => {
    const refused = ["localhost", "127.0.0.1", "127.1", "2130706433", "0x7f000001", "0.0.0.0", "[::1]", "::ffff:127.0.0.1", "169.254.169.254", "10.1.2.3", "fd00::2", "100.64.1.1"];
    for (const host of refused) {
      const error = await resolvePermittedAddresses(host, production).catch((e: unknown) => e);
      expect(error, host).toBeInstanceOf(AppError);
      expect((error as AppError).code, host).toBe("BAD_REQUEST");
      expect((error as AppError).message, host).toContain(`The host "${host}" resolves to `);
      expect((error as AppError).message, host).toContain("DATA_SOURCE_ALLOW_PRIVATE_NETWORKS=true");
    }
    const metadata = await resolvePermittedAddresses("169.254.169.254", production).catch((e: AppError) => e.message);
    expect(metadata).toContain("link-local address (where cloud metadata services live)");
  });

  it("lets public addresses through with the policy on, and everything with it off", async () => {
    expect(await resolvePermittedAddresses("8.8.8.8", production)).toEqual(["8.8.8.8"]);
    expect(await resolvePermittedAddresses("2606:4700::1111", production)).toEqual(["2606:4700::1111"]);
    expect(await resolvePermittedAddresses("localhost", development)).toContain("127.0.0.1");
  });

  it("rejects with the resolver's own error when a name does not resolve", async () => {
    await expect(resolvePermittedAddresses("nonexistent.invalid", production)).rejects.toMatchObject({ code: "ENOTFOUND" });
  });
});
