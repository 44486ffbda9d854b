// Networking through the real binary: the default bridge, the other modes,
// parallel address allocation, failure paths, and that nothing is left
// behind. Traffic only between namespaces this file made. A bridge name and
// subnets of its own (CTR_CONFIG), so it never touches the host's links.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withNetlink } from "../../net/netlink/client.ts";
import { listRules, parseOwner } from "../../net/firewall.ts";
import { loadNetwork } from "../../net/store.ts";
import { CTR, privateBridge, ROOTFS, testRoot, uniqueName } from "./harness.ts";

const t = testRoot("net");
const { root, ctr: ctrRaw, ctrAsync: ctrAsyncRaw } = t;
const X = 100 + (process.pid % 100);
const SUBNET = `10.${X}.0.0/24`;
const GATEWAY = `10.${X}.0.1`;
const { BRIDGE, env, clean } = privateBridge(t, "ctrt", SUBNET, `10.${X}.0.0/16`);
const ctr = (args: string[], opts: { env?: Record<string, string> } = {}) => ctrRaw(args, { env: { ...env, ...opts.env } });
const ctrAsync = (args: string[]) => ctrAsyncRaw(args, { env });

const hostLinks = () => withNetlink((nl) => nl.links().map((l) => l.name));
const vethsOf = (ids: string[]) => hostLinks().filter((n) => ids.some((id) => n.startsWith(`veth${id.slice(0, 8)}`)));
const netnsFiles = () => (existsSync(`${root}/netns`) ? readdirSync(`${root}/netns`) : []);
const endpoints = (net = "bridge") => Object.keys(loadNetwork(root, net)!.endpoints);

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

afterAll(clean);

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

describe("user-defined networks", () => {
  const net = (args: string[]) => ctr(["network", ...args]);

  test("by name and alias over TCP (busybox nc); another network cannot reach them; rm refused while in use", async () => {
    const front = uniqueName("front");
    const other = uniqueName("other");
    expect(net(["create", front]).code).toBe(0);
    expect(net(["create", other]).code).toBe(0);
    const nf = JSON.parse(net(["inspect", front]).stdout)[0];
    expect(nf.IPAM.Config[0].Subnet).toMatch(new RegExp(`^10\\.${X}\\.\\d+\\.0/24$`));
    expect(nf.Options["com.docker.network.bridge.name"]).toBe(`br-${nf.Id.slice(0, 12)}`);
    expect(net(["ls"]).stdout).toContain(front);
    expect(net(["ls", "--format", "{{.Name}} {{.Driver}} {{.ID}}"]).stdout).toContain(`${front} bridge ${nf.Id.slice(0, 12)}\n`);
    expect(JSON.parse(net(["ls", "--format", "json"]).stdout.split("\n").find((l) => l.includes(front))!)).toMatchObject({ Name: front, Driver: "bridge", Scope: "local", Internal: "false" });
    const srv = uniqueName("srv");
    const id = ctr(["run", "-d", "--name", srv, "--net", front, "--network-alias", "db", ROOTFS, "nc", "-ll", "-p", "5000", "-e", "cat"]).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    for (const host of [srv, "db"]) {
      const r = ctr(["run", "--rm", "--net", front, ROOTFS, "sh", "-c", `echo hello-${host} | nc -w 2 ${host} 5000`]);
      expect(r.stdout).toBe(`hello-${host}\n`);
    }
    const ip = inspect(srv).NetworkSettings.Networks[front].IPAddress;
    expect(inspect(srv).NetworkSettings.Networks[front].Aliases).toEqual(["db"]);
    const cross = ctr(["run", "--rm", "--net", other, ROOTFS, "sh", "-c", `ping -c1 -W1 ${ip} >/dev/null 2>&1 && echo reached || echo unreachable; ip route`]);
    expect(cross.stdout).toStartWith("unreachable\n"); // separate bridges; the host does not route between them
    expect(cross.stdout).toContain("default via");
    const busy = net(["rm", front]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain("has active endpoints");
    ctr(["rm", "-f", srv]);
    expect(await noVethsLeft([id])).toEqual([]);
    expect(net(["rm", front, other]).code).toBe(0);
    expect(hostLinks()).not.toContain(nf.Options["com.docker.network.bridge.name"]);
    expect(net(["ls"]).stdout).not.toContain(front);
  }, 30_000);

  test("connect and disconnect a running container; /etc/hosts follows", () => {
    const a = uniqueName("na");
    const b = uniqueName("nb");
    net(["create", a]);
    net(["create", "--internal", b]);
    const c = uniqueName("c");
    const peer = uniqueName("peer");
    ctr(["run", "-d", "--name", c, "--net", a, ROOTFS, "sleep", "100"]);
    ctr(["run", "-d", "--name", peer, "--net", b, ROOTFS, "sleep", "100"]);
    expect(ctr(["exec", c, "cat", "/etc/hosts"]).stdout).not.toContain(peer);
    expect(ctr(["exec", peer, "ip", "route"]).stdout).not.toContain("default"); // --internal: no gateway route
    expect(net(["connect", "--alias", "api", b, c]).code).toBe(0);
    expect(ctr(["exec", c, "ls", "/sys/class/net"]).stdout).toBe("eth0\neth1\nlo\n");
    expect(ctr(["exec", c, "ping", "-c1", "-W2", peer]).stdout).toContain("1 packets received");
    expect(ctr(["exec", peer, "ping", "-c1", "-W2", "api"]).stdout).toContain("1 packets received");
    expect(Object.keys(inspect(c).NetworkSettings.Networks).sort()).toEqual([a, b].sort());
    expect(net(["disconnect", b, c]).code).toBe(0);
    expect(ctr(["exec", c, "ls", "/sys/class/net"]).stdout).toBe("eth0\nlo\n");
    expect(ctr(["exec", peer, "cat", "/etc/hosts"]).stdout).not.toContain("api");
    ctr(["rm", "-f", c, peer]);
    expect(net(["rm", a, b]).code).toBe(0);
  });

  test("an attached --rm on the default bridge: its monitor gives the lease back (die, disconnect, destroy); one connected meanwhile, rm does", async () => {
    const events = () => readFileSync(join(root, "events.log"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const quick = uniqueName("quick");
    expect(ctr(["run", "--rm", "--name", quick, ROOTFS, "true"]).code).toBe(0);
    const id = events().find((e) => e.Action === "destroy" && e.Actor.Attributes.name === quick).Actor.ID;
    const mine = events().filter((e) => e.Actor.ID === id || e.Actor.Attributes.container === id).map((e) => `${e.Type} ${e.Action}`);
    expect(mine.slice(-3)).toEqual(["container die", "network disconnect", "container destroy"]);
    expect(mine.filter((a) => a === "network disconnect")).toHaveLength(1);
    expect(endpoints()).not.toContain(id);
    expect(existsSync(join(root, "networks", "bridge.leases", `${id}.json`))).toBe(false);

    // connected to a user network while it ran: its monitor knew nothing of that lease, rm gives it back
    const u = uniqueName("late");
    net(["create", u]);
    const late = uniqueName("late");
    const p = Bun.spawn([CTR, "run", "--rm", "--name", late, ROOTFS, "sleep", "1"], { env: { ...process.env, CTR_ROOT: root, ...env }, stdout: "ignore", stderr: "pipe" });
    for (let i = 0; i < 100 && ctr(["ps", "--format", "{{.Names}}"]).stdout.trim() !== late; i++) await Bun.sleep(20);
    expect(net(["connect", u, late]).code).toBe(0);
    expect(endpoints(u)).toHaveLength(1);
    expect(await p.exited).toBe(0);
    expect(endpoints(u)).toEqual([]);
    expect(net(["rm", u]).code).toBe(0);
  });

  test("bad input: clear errors, nothing half-made", () => {
    const n = uniqueName("bad");
    expect(net(["create", "--subnet", "10.0.0.0/33", n]).stderr).toContain("invalid subnet");
    expect(net(["create", "--subnet", "10.1.2.3/24", n]).stderr).toContain("host bits are set");
    expect(net(["create", "--subnet", SUBNET, n]).stderr).toContain("Pool overlaps with other one on this address space");
    expect(net(["create", "bridge"]).stderr).toContain("predefined bridge network");
    expect(net(["rm", "bridge"]).stderr).toContain("pre-defined network and cannot be removed");
    expect(net(["rm", n]).stderr).toContain(`network ${n} not found`);
    expect(existsSync(`${root}/networks/${n}.json`)).toBe(false);
    expect(net(["ls"]).stdout).not.toContain(n);
  });

  test("--ip: a fixed address; taken already: a clear error, nothing half-made", () => {
    const fixed = uniqueName("fixed");
    net(["create", "--subnet", `10.${X}.200.0/24`, "--gateway", `10.${X}.200.254`, fixed]);
    const ip = `10.${X}.200.1`;
    const a = uniqueName("fixed");
    expect(ctr(["run", "-d", "--name", a, "--net", fixed, "--ip", ip, ROOTFS, "sleep", "100"]).code).toBe(0);
    expect(inspect(a).NetworkSettings.IPAddress).toBe(ip);
    const r = ctr(["run", "--rm", "--net", fixed, "--ip", ip, ROOTFS, "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain(`Address already in use: ${ip}`);
    expect(ctr(["ps", "-aq"]).stdout.trim().split("\n").length).toBe(1);
    expect(netnsFiles().length).toBe(1);
    expect(inspect(a).NetworkSettings.Gateway).toBe(`10.${X}.200.254`);
    ctr(["rm", "-f", a]);
    expect(net(["rm", fixed]).code).toBe(0);
  });
});

describe("other modes", () => {
  test("--net none has only lo", () => {
    expect(ctr(["run", "--rm", "--net", "none", ROOTFS, "ls", "/sys/class/net"]).stdout).toBe("lo\n");
  });
  test("--net host sees the host's interfaces", () => {
    // other test runs may add and remove veths and bridges meanwhile: compare the stable ones
    const stable = readdirSync("/sys/class/net").filter((n) => !/^(veth|br-|ctr)/.test(n));
    const r = ctr(["run", "--rm", "--net", "host", ROOTFS, "ls", "/sys/class/net"]);
    expect(r.stdout.trim().split("\n")).toEqual(expect.arrayContaining(stable));
  });
  test("--userns-remap on a bridge: the monitor joins the prepared netns for the remapped init", () => {
    const r = ctr(["run", "--rm", "--userns-remap", "default", ROOTFS, "sh", "-c", "cat /proc/self/uid_map; ip -4 -o addr show eth0"]);
    expect(r.code).toBe(0);
    const [map, addr] = r.stdout.trim().split("\n");
    expect(map!.trim().split(/\s+/)).toEqual(["0", "100000", "65536"]);
    expect(addr).toMatch(/eth0\s+inet \d+\.\d+\.\d+\.\d+\//);
    expect(netnsFiles()).toEqual([]);
  });
  test("a network that does not exist: an error, nothing left", () => {
    const r = ctr(["run", "--rm", "--net", "nosuchnet", ROOTFS, "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toBe("ctr: network nosuchnet not found\n");
    expect(ctr(["ps", "-aq"]).stdout).toBe("");
    expect(netnsFiles()).toEqual([]);
  });
});

describe("published ports (userland proxy)", () => {
  const proxies = (id: string) => Bun.spawnSync(["pgrep", "-f", `port-proxy ${id}`]).stdout.toString().trim();

  test("busybox httpd answers on 127.0.0.1:<hostport>; rm stops the proxy", async () => {
    const www = `${root}/www`;
    Bun.spawnSync(["mkdir", "-p", www]);
    writeFileSync(`${www}/index.html`, "hello from httpd\n");
    const name = uniqueName("web");
    const r = ctr(["run", "-d", "--name", name, "-p", "127.0.0.1::80", "-v", `${www}:/www:ro`, ROOTFS, "httpd", "-f", "-p", "80", "-h", "/www"]);
    expect(r.stderr).toBe("");
    const id = r.stdout.trim();
    const ports = inspect(name).NetworkSettings.Ports["80/tcp"];
    expect(ports[0].HostIp).toBe("127.0.0.1");
    const url = `http://127.0.0.1:${ports[0].HostPort}/`;
    let body = "";
    for (let i = 0; i < 50 && !body; i++) body = await fetch(url).then((x) => x.text()).catch(() => Bun.sleep(20).then(() => ""));
    expect(body).toBe("hello from httpd\n");
    expect(proxies(id)).not.toBe("");
    ctr(["rm", "-f", name]);
    for (let i = 0; i < 50 && proxies(id); i++) await Bun.sleep(20);
    expect(proxies(id)).toBe("");
  });

  test("a port already bound: the error says so, nothing is left", async () => {
    const taken = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const r = ctr(["run", "--rm", "-p", `127.0.0.1:${taken.port}:80`, ROOTFS, "true"]);
      expect(r.code).toBe(125);
      expect(r.stderr).toContain(`Bind for 127.0.0.1:${taken.port} failed: port is already allocated`);
      expect(ctr(["ps", "-aq"]).stdout).toBe("");
      expect(netnsFiles()).toEqual([]);
      expect(await noBridgePorts()).toEqual([]);
    } finally {
      taken.stop(true);
    }
  });

  test("-p with --net none is a conflict", () => {
    const r = ctr(["run", "--rm", "--net", "none", "-p", "80", ROOTFS, "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("conflicting options: port publishing and the network mode none");
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
    expect(listRules().filter((r) => ids.includes(parseOwner(r.comment).container ?? "")).length).toBe(20); // a masquerade each
    expect(ctr(["rm", "-f", ...names]).code).toBe(0);
    expect(await noVethsLeft(ids)).toEqual([]);
    expect(netnsFiles()).toEqual([]);
    expect(endpoints()).toEqual([]);
    // and no firewall rule (ctr's nf_tables table; tests/integration/nat.test.ts checks the rules themselves)
    expect(listRules().filter((r) => ids.includes(parseOwner(r.comment).container ?? ""))).toEqual([]);
  }, 60_000); // 20 runs at once: more than bun's 5 s default on a loaded 2-core machine

  test("a failure after the namespace and veth exist removes them (command not found: 127)", async () => {
    const r = ctr(["run", "--name", uniqueName("fail"), ROOTFS, "no-such-command"]);
    expect(r.code).toBe(127);
    expect(ctr(["ps", "-aq"]).stdout).toBe("");
    expect(await noBridgePorts()).toEqual([]);
    expect(netnsFiles()).toEqual([]);
    expect(endpoints()).toEqual([]);
  });

  test("a failure while wiring, when the init is already up: its command never runs, nothing is left", async () => {
    // the veths are made while the init sets up its rootfs (it waits at its gate): a network whose
    // bridge was replaced by a veth (up) fails there, when the veth is put into it
    const name = uniqueName("wirefail");
    const fake = `ctwf${process.pid % 100000}`;
    const out = mkdtempSync(join(tmpdir(), "ctr-wirefail-"));
    expect(ctr(["network", "create", "-o", `com.docker.network.bridge.name=${fake}`, "--subnet", `10.${X}.9.0/24`, name]).code).toBe(0);
    try {
      withNetlink((nl) => {
        nl.deleteLink(fake);
        nl.createVeth({ name: fake, peerName: `${fake}p`, up: true });
      });
      const before = new Set(hostLinks());
      const r = ctr(["run", "--rm", "--net", name, "-v", `${out}:/out`, ROOTFS, "touch", "/out/ran"]);
      expect(r.code).toBe(125);
      expect(r.stderr).toContain("EOPNOTSUPP");
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(existsSync(join(out, "ran"))).toBe(false);
      expect(ctr(["ps", "-aq"]).stdout).toBe("");
      expect(netnsFiles()).toEqual([]);
      expect(endpoints(name)).toEqual([]);
      const added = () => hostLinks().filter((n) => !before.has(n));
      for (let i = 0; i < 100 && added().length; i++) await Bun.sleep(20); // the veth leaves with its namespace
      expect(added()).toEqual([]);
    } finally {
      withNetlink((nl) => nl.deleteLink(fake));
      ctr(["network", "rm", name]);
      rmSync(out, { recursive: true, force: true });
    }
  });

  test("works with PATH emptied: no ip, unshare or brctl binary needed", () => {
    const r = ctr(["run", "--rm", ROOTFS, "/bin/sh", "-c", "ip -4 addr show eth0 | grep -c inet"], { env: { PATH: "" } });
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("1\n");
  });
});
