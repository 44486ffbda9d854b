import { describe, expect, test } from "bun:test";
import { SpecError } from "../../../spec/errors.ts";
import { isIPv6, parseExtraHost, parseMac, parseNetworkMode, parsePort } from "../../../spec/network.ts";

describe("parsePort (Docker's -p forms)", () => {
  test("container port only: any free host port", () => {
    expect(parsePort("80")).toEqual([{ hostPort: 0, containerPort: 80, protocol: "tcp" }]);
  });
  test("host:container", () => {
    expect(parsePort("8080:80")).toEqual([{ hostPort: 8080, containerPort: 80, protocol: "tcp" }]);
  });
  test("ip:host:container/udp", () => {
    expect(parsePort("127.0.0.1:8080:80/udp")).toEqual([
      { hostIp: "127.0.0.1", hostPort: 8080, containerPort: 80, protocol: "udp" },
    ]);
  });
  test("ip::container", () => {
    expect(parsePort("127.0.0.1::80")).toEqual([{ hostIp: "127.0.0.1", hostPort: 0, containerPort: 80, protocol: "tcp" }]);
  });
  test("bracketed IPv6", () => {
    expect(parsePort("[::1]:8080:80")).toEqual([{ hostIp: "::1", hostPort: 8080, containerPort: 80, protocol: "tcp" }]);
  });
  test("protocol is case-insensitive", () => {
    expect(parsePort("53:53/UDP")[0]?.protocol).toBe("udp");
  });
  test("ranges expand pairwise", () => {
    expect(parsePort("8000-8002:80-82")).toEqual([
      { hostPort: 8000, containerPort: 80, protocol: "tcp" },
      { hostPort: 8001, containerPort: 81, protocol: "tcp" },
      { hostPort: 8002, containerPort: 82, protocol: "tcp" },
    ]);
    expect(parsePort("80-81").map((p) => [p.hostPort, p.containerPort])).toEqual([[0, 80], [0, 81]]);
  });
  test.each([
    ["", "not a port"],
    ["0", "not a port"],
    ["65536", "not a port"],
    ["http", "not a port"],
    ["8080:80/sctp", 'protocol "sctp" is not supported'],
    ["8080:80/icmp", "not supported"],
    ["1.2.3:8080:80", "invalid host IP"],
    ["8000-8001:80", "same length"],
    ["a:b:c:d", "put an IPv6 address in [ ]"],
    ["[::1:8080:80", 'unclosed "["'],
    ["90-80", "not a port"],
  ])("rejects %p", (input, msg) => {
    expect(() => parsePort(input)).toThrow(SpecError);
    expect(() => parsePort(input)).toThrow(msg);
  });
});

describe("addresses and modes", () => {
  test("IPv6 forms", () => {
    for (const ok of ["::1", "::", "fe80::1", "2001:db8::8a2e:370:7334", "::ffff:10.0.0.1", "1:2:3:4:5:6:7:8"]) expect(isIPv6(ok)).toBe(true);
    for (const bad of [":1", "1:::2", "1:2:3:4:5:6:7:8:9", "12345::", "::ffff:300.1.1.1", "1.2.3.4"]) expect(isIPv6(bad)).toBe(false);
  });
  test("extra hosts", () => {
    expect(parseExtraHost("db:10.0.0.5")).toBe("db:10.0.0.5");
    expect(parseExtraHost("db=10.0.0.5")).toBe("db:10.0.0.5");
    expect(parseExtraHost("v6:::1")).toBe("v6:::1");
    expect(parseExtraHost("gw:host-gateway")).toBe("gw:host-gateway");
    expect(() => parseExtraHost("db")).toThrow(SpecError);
    expect(() => parseExtraHost("db:notanip")).toThrow(SpecError);
  });
  test("MAC addresses", () => {
    expect(parseMac("02:42:AC:11:00:02")).toBe("02:42:ac:11:00:02");
    expect(parseMac("02-42-ac-11-00-02")).toBe("02:42:ac:11:00:02");
    expect(() => parseMac("02:42:ac:11:00")).toThrow(SpecError);
  });
  test("network modes", () => {
    expect(parseNetworkMode("default")).toBe("bridge");
    expect(parseNetworkMode("host")).toBe("host");
    expect(parseNetworkMode("container:db")).toBe("container:db");
    expect(parseNetworkMode("ns:/run/netns/x")).toBe("ns:/run/netns/x");
    expect(parseNetworkMode("appnet")).toBe("appnet");
    expect(() => parseNetworkMode("ns:relative")).toThrow(SpecError);
    expect(() => parseNetworkMode("bad name")).toThrow(SpecError);
  });
});
