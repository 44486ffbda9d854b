// Name resolution on user-defined networks through the network's own DNS
// server (net/dns/server.ts): names and aliases of the network's containers,
// everything else forwarded to the host's resolvers. The "host's resolvers"
// are a fake one started here on 127.0.0.99:53 ($CTR_RESOLV_CONF points at
// it), which answers names under .example with 192.0.2.99 and NXDOMAIN for
// the rest: no traffic leaves the host.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { withNetlink } from "../../net/netlink/client.ts";
import { listNetworks } from "../../net/store.ts";
import { ROOTFS, testRoot, uniqueName } from "./harness.ts";

const { root, ctr: ctrRaw } = testRoot("dns");
const X = 90 + (process.pid % 10);
const BRIDGE = `ctrd${process.pid % 100000}`;
const CONFIG = join(root, "ctr.toml");
const RESOLV = join(root, "host-resolv.conf");
const UPSTREAM = "127.0.0.99";
const FORWARDED = "192.0.2.99";
const SLOW = 60_000;
writeFileSync(CONFIG, `[network]\nbridge = "${BRIDGE}"\nsubnet = "10.${X}.0.0/24"\npool = "10.${X}.0.0/16"\n`);
writeFileSync(RESOLV, `nameserver ${UPSTREAM}\nsearch example.test\n`);
const ctr = (args: string[]) => ctrRaw(args, { env: { CTR_CONFIG: CONFIG, CTR_RESOLV_CONF: RESOLV } });
const FAKE = join(import.meta.dir, "../fixtures/fake-dns.ts");
const helpers: Bun.Subprocess[] = [];
const bridges: string[] = [];

async function fakeDns(bindIp: string): Promise<Bun.Subprocess> {
  const p = Bun.spawn([process.execPath, FAKE, bindIp, FORWARDED], { stdout: "pipe", stderr: "ignore" });
  helpers.push(p);
  const reader = p.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  expect(new TextDecoder().decode(value)).toBe("ready\n");
  return p;
}

function createNet(name: string): { gateway: string } {
  expect(ctr(["network", "create", name]).code).toBe(0);
  const n = JSON.parse(ctr(["network", "inspect", name]).stdout)[0];
  bridges.push(n.Options["com.docker.network.bridge.name"]);
  return { gateway: n.IPAM.Config[0].Gateway };
}

const dnsPid = (net: string) => {
  const f = join(root, "networks", `${net}.dns.pid`);
  return existsSync(f) ? Number(readFileSync(f, "utf8")) : undefined;
};
const alive = (pid: number) => existsSync(`/proc/${pid}`);
const ipOf = (name: string, net: string) => JSON.parse(ctr(["inspect", name]).stdout)[0].NetworkSettings.Networks[net].IPAddress as string;

afterAll(() => {
  for (const p of helpers) p.kill("SIGKILL");
  withNetlink((nl) => {
    for (const b of bridges) nl.deleteLink(b);
    nl.deleteLink(BRIDGE);
  });
});

describe("a user-defined network's DNS server", () => {
  test("names and aliases of the network's containers; other names go to the host's resolvers", async () => {
    await fakeDns(UPSTREAM);
    const net = uniqueName("dn");
    const { gateway } = createNet(net);
    const srv = uniqueName("srv");
    expect(ctr(["run", "-d", "--name", srv, "--net", net, "--network-alias", "db", ROOTFS, "sleep", "100"]).code).toBe(0);
    const ip = ipOf(srv, net);
    const r = ctr(["run", "--rm", "--net", net, ROOTFS, "sh", "-c",
      `cat /etc/resolv.conf; for n in ${srv} db DB ${srv}.${net} elsewhere.example; do nslookup $n | sed -n 's/^Address: //p'; done`]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`nameserver ${gateway}\nsearch example.test\n${ip}\n${ip}\n${ip}\n${ip}\n${FORWARDED}\n`);
    const pid = dnsPid(net)!;
    expect(alive(pid)).toBe(true);
    // the last container gone, so is the server
    ctr(["rm", "-f", srv]);
    for (let i = 0; i < 100 && alive(pid); i++) await Bun.sleep(20);
    expect(alive(pid)).toBe(false);
    expect(dnsPid(net)).toBeUndefined();
    expect(ctr(["network", "rm", net]).code).toBe(0);
  }, SLOW);

  test("a container on another network does not get the name (its own network's server forwards it, upstream knows none)", () => {
    const a = uniqueName("da");
    const b = uniqueName("db");
    createNet(a);
    createNet(b);
    const srv = uniqueName("hidden");
    ctr(["run", "-d", "--name", srv, "--net", a, ROOTFS, "sleep", "100"]);
    const r = ctr(["run", "--rm", "--net", b, ROOTFS, "sh", "-c", `nslookup ${srv} | sed -n 's/^Address: //p'`]);
    expect(r.stdout).toBe(""); // NXDOMAIN from upstream, not the address on network a
    ctr(["rm", "-f", srv]);
    expect(ctr(["network", "rm", a, b]).code).toBe(0);
  }, SLOW);

  test("the default bridge has none, as in Docker: the host's resolvers", () => {
    const r = ctr(["run", "--rm", ROOTFS, "cat", "/etc/resolv.conf"]);
    // the host's list without loopback servers (unreachable from a namespace): Docker's fallback
    expect(r.stdout).toBe("nameserver 8.8.8.8\nnameserver 8.8.4.4\nsearch example.test\n");
  }, SLOW);

  test("--dns given: those servers, no embedded one", () => {
    const net = uniqueName("dd");
    createNet(net);
    const r = ctr(["run", "--rm", "--net", net, "--dns", "10.9.9.9", ROOTFS, "cat", "/etc/resolv.conf"]);
    expect(r.stdout).toBe("nameserver 10.9.9.9\nsearch example.test\n");
    expect(dnsPid(net)).toBeUndefined();
    expect(ctr(["network", "rm", net]).code).toBe(0);
  }, SLOW);

  test("port 53 of the gateway taken: the run says so and names still resolve through /etc/hosts", async () => {
    const net = uniqueName("dt");
    const { gateway } = createNet(net);
    const squatter = await fakeDns(gateway);
    const srv = uniqueName("peer");
    ctr(["run", "-d", "--name", srv, "--net", net, ROOTFS, "sleep", "100"]);
    const r = ctr(["run", "--rm", "--net", net, ROOTFS, "sh", "-c", `grep -c ${gateway} /etc/resolv.conf; ping -c1 -W2 ${srv} >/dev/null && echo reached`]);
    expect(r.stderr).toContain(`WARNING: network ${net} has no DNS server (listen udp ${gateway}:53: address in use`);
    expect(r.stdout).toBe("0\nreached\n");
    squatter.kill("SIGKILL");
    ctr(["rm", "-f", srv]);
    expect(ctr(["network", "rm", net]).code).toBe(0);
    expect(listNetworks(root).map((n) => n.name)).not.toContain(net);
  }, SLOW);
});
