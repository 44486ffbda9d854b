// Networking through the real binary: the default bridge, the other modes,
// parallel address allocation, failure paths, and that nothing is left
// behind. Traffic only between namespaces this file made. A bridge name and
// subnets of its own (CTR_CONFIG), so it never touches the host's links.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { withNetlink } from "../../net/netlink/client.ts";
import { ROOTFS, testRoot, uniqueName } from "./harness.ts";

const { root, ctr: ctrRaw, ctrAsync: ctrAsyncRaw } = testRoot("net");
const X = 100 + (process.pid % 100);
const BRIDGE = `ctrt${process.pid % 100000}`;
const SUBNET = `10.${X}.0.0/24`;
const GATEWAY = `10.${X}.0.1`;
const CONFIG = `${root}/ctr.toml`;
writeFileSync(CONFIG, `[network]\nbridge = "${BRIDGE}"\nsubnet = "${SUBNET}"\npool = "10.${X}.0.0/16"\n`);
const env = { CTR_CONFIG: CONFIG };
const ctr = (args: string[], opts: { env?: Record<string, string> } = {}) => ctrRaw(args, { env: { ...env, ...opts.env } });
const ctrAsync = (args: string[]) => ctrAsyncRaw(args, { env });

const hostLinks = () => withNetlink((nl) => nl.links().map((l) => l.name));
const vethsOf = (ids: string[]) => hostLinks().filter((n) => ids.some((id) => n.startsWith(`veth${id.slice(0, 8)}`)));
const netnsFiles = () => (existsSync(`${root}/netns`) ? readdirSync(`${root}/netns`) : []);
const endpoints = (net = "bridge") => Object.keys(JSON.parse(readFileSync(`${root}/networks/${net}.json`, "utf8")).endpoints);

/** veths leave with their namespace, which the kernel tears down asynchronously */
async function noVethsLeft(ids: string[]): Promise<string[]> {
  for (let i = 0; i < 100 && vethsOf(ids).length; i++) await Bun.sleep(20);
  return vethsOf(ids);
}

/** links still enslaved to the test bridge */
async function noBridgePorts(): Promise<string[]> {
  const ports = () => withNetlink((nl) => {
    const br = nl.link(BRIDGE)?.index;
    return nl.links().filter((l) => l.master === br).map((l) => l.name);
  });
  for (let i = 0; i < 100 && ports().length; i++) await Bun.sleep(20);
  return ports();
}

afterAll(() => {
  for (const id of ctr(["ps", "-aq", "--no-trunc"]).stdout.split("\n").filter(Boolean)) ctr(["rm", "-f", id]);
  withNetlink((nl) => nl.deleteLink(BRIDGE));
});

const inspect = (name: string) => JSON.parse(ctr(["inspect", name]).stdout)[0];

describe("the default bridge", () => {
  test("eth0 with an address, a default route, the gateway answers; files written", () => {
    const r = ctr(["run", "--rm", "--hostname", "box", "--add-host", "db:10.9.9.9", ROOTFS, "sh", "-c",
      "ip -4 addr show eth0; ip route; ping -c1 -W2 $(ip route | awk '/default/ {print $3}') >/dev/null && echo pong; cat /etc/hosts /etc/hostname; ls /sys/class/net"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`inet 10\\.${X}\\.0\\.\\d+/24`));
    expect(r.stdout).toContain(`default via ${GATEWAY} dev eth0`);
    expect(r.stdout).toContain("pong");
    expect(r.stdout).toMatch(new RegExp(`10\\.${X}\\.0\\.\\d+\\tbox\\n`));
    expect(r.stdout).toContain("10.9.9.9\tdb");
    expect(r.stdout).toContain("box\neth0\nlo\n"); // /etc/hostname, then a sysfs of its own
    expect(hostLinks()).toContain(BRIDGE); // created on first use, kept (like docker0)
  });

  test("two containers reach each other; inspect shows the address, gateway, MAC", async () => {
    const a = uniqueName("a");
    const id = ctr(["run", "-d", "--name", a, ROOTFS, "sleep", "100"]).stdout.trim();
    const i = inspect(a);
    const ns = i.NetworkSettings;
    expect(ns.IPAddress).toMatch(new RegExp(`^10\\.${X}\\.0\\.\\d+$`));
    expect(ns.Gateway).toBe(GATEWAY);
    expect(ns.IPPrefixLen).toBe(24);
    expect(ns.MacAddress).toBe(`02:42:${ns.IPAddress.split(".").map((x: string) => Number(x).toString(16).padStart(2, "0")).join(":")}`);
    expect(ns.Networks.bridge.IPAddress).toBe(ns.IPAddress);
    expect(ns.Networks.bridge.NetworkID).toMatch(/^[0-9a-f]{64}$/);
    expect(i.HostsPath).toBe(`${root}/containers/${id}/hosts`);
    expect(vethsOf([id])).toEqual([`veth${id.slice(0, 8)}`]);
    const b = ctr(["run", "--rm", ROOTFS, "ping", "-c1", "-W2", ns.IPAddress]);
    expect(b.stdout).toContain("1 packets received");
    // container:NAME shares a's interfaces
    const c = ctr(["run", "--rm", "--net", `container:${a}`, ROOTFS, "ip", "-4", "addr", "show", "eth0"]);
    expect(c.stdout).toContain(`inet ${ns.IPAddress}/24`);
    expect(ctr(["rm", "-f", a]).code).toBe(0);
    expect(await noVethsLeft([id])).toEqual([]);
    expect(netnsFiles()).toEqual([]);
    expect(endpoints()).toEqual([]);
  });
});

describe("other modes", () => {
  test("--net none has only lo", () => {
    expect(ctr(["run", "--rm", "--net", "none", ROOTFS, "ls", "/sys/class/net"]).stdout).toBe("lo\n");
  });
  test("--net host sees the host's interfaces", () => {
    const mine = readdirSync("/sys/class/net").sort();
    const r = ctr(["run", "--rm", "--net", "host", ROOTFS, "ls", "/sys/class/net"]);
    expect(r.stdout.trim().split("\n").sort()).toEqual(mine);
  });
  test("a network that does not exist: an error, nothing left", () => {
    const r = ctr(["run", "--rm", "--net", "nosuchnet", ROOTFS, "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe("ctr: network nosuchnet not found\n");
    expect(ctr(["ps", "-aq"]).stdout).toBe("");
    expect(netnsFiles()).toEqual([]);
  });
  test("-p says plainly that it cannot publish", () => {
    const r = ctr(["run", "--rm", "-p", "8080:80", ROOTFS, "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("publishing ports (-p) is not available yet");
  });
});

describe("parallel and clean", () => {
  test("20 containers started in parallel get 20 distinct addresses; after rm nothing is left", async () => {
    const names = Array.from({ length: 20 }, (_, i) => uniqueName(`p${i}`));
    const rs = await Promise.all(names.map((n) => ctrAsync(["run", "-d", "--name", n, ROOTFS, "sleep", "100"])));
    expect(rs.map((r) => r.code)).toEqual(names.map(() => 0));
    const ids = rs.map((r) => r.stdout.trim());
    const ips = names.map((n) => inspect(n).NetworkSettings.IPAddress);
    expect(new Set(ips).size).toBe(20);
    expect(vethsOf(ids).length).toBe(20);
    expect(ctr(["rm", "-f", ...names]).code).toBe(0);
    expect(await noVethsLeft(ids)).toEqual([]);
    expect(netnsFiles()).toEqual([]);
    expect(endpoints()).toEqual([]);
  });

  test("a failure after the namespace and veth exist removes them (command not found: 127)", async () => {
    const r = ctr(["run", "--name", uniqueName("fail"), ROOTFS, "no-such-command"]);
    expect(r.code).toBe(127);
    expect(ctr(["ps", "-aq"]).stdout).toBe("");
    expect(await noBridgePorts()).toEqual([]);
    expect(netnsFiles()).toEqual([]);
    expect(endpoints()).toEqual([]);
  });

  test("works with PATH emptied: no ip, unshare or brctl binary needed", () => {
    const r = ctr(["run", "--rm", ROOTFS, "/bin/sh", "-c", "ip -4 addr show eth0 | grep -c inet"], { env: { PATH: "" } });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("1\n");
  });
});
