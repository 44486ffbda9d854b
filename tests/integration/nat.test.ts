// Outbound NAT, published ports by DNAT (and the proxy kept for loopback),
// UDP and -P, and isolation between user networks: ctr's nf_tables rules in
// the kernel, without internet. A network namespace made here plays
// "outside": a veth from the host (10.X.254.1/30) to it (10.X.254.2/30). A
// probe in it (tests/fixtures/peer-echo.ts, entered with nsenter) answers
// with the address a packet came from, so the tests see masquerading and
// DNAT, not just reachability.
//
// Forwarding: ctr turns net.ipv4.ip_forward on when its config says
// ip_forward = true (as here); afterAll puts back the value found.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, existsSync, openSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { addRules, listRules, masqueradeRule, ownedBy, parseOwner, removeRules, TABLE, tableExists } from "../../net/firewall.ts";
import { withNftables } from "../../net/nftables/client.ts";
import { cmd } from "../../net/nftables/codec.ts";
import { withNetlink } from "../../net/netlink/client.ts";
import { createNetns, removeNetns } from "../../net/netns.ts";
import { listNetworks } from "../../net/store.ts";
import { ROOTFS, testRoot, uniqueName } from "./harness.ts";

const { root, ctr: ctrRaw } = testRoot("nat");
const X = 30 + (process.pid % 60);
const TAG = process.pid % 100000;
const BRIDGE = `ctrn${TAG}`;
const OUT_VETH = `cno${TAG}`;
const HOST_IP = `10.${X}.254.1`;
const OUTSIDE_IP = `10.${X}.254.2`;
const GATEWAY = `10.${X}.0.1`;
// not under the state root: the harness removes that before this file's afterAll runs
const OUTSIDE_NS = `/run/ctr-test-nat-outside-${process.pid}`;
const CONFIG = join(root, "ctr.toml");
const IP_FORWARD = "/proc/sys/net/ipv4/ip_forward";
const PROBE = join(import.meta.dir, "../fixtures/peer-echo.ts");
const forwardBefore = readFileSync(IP_FORWARD, "utf8").trim();

writeFileSync(CONFIG, `[network]\nbridge = "${BRIDGE}"\nsubnet = "10.${X}.0.0/24"\npool = "10.${X}.0.0/16"\nip_forward = true\n`);
const ctr = (args: string[]) => ctrRaw(args, { env: { CTR_CONFIG: CONFIG } });
// the control: the same host with nat = false, where ctr adds no rules (and ports go through the proxy alone)
const NO_NAT = join(root, "no-nat.toml");
writeFileSync(NO_NAT, `[network]\nbridge = "${BRIDGE}"\nsubnet = "10.${X}.0.0/24"\npool = "10.${X}.0.0/16"\nnat = false\n`);
const ctrNoNat = (args: string[]) => ctrRaw(args, { env: { CTR_CONFIG: NO_NAT } });
const probes: Bun.Subprocess[] = [];
/** each test starts several containers; on a loaded 2-core machine that can take longer than bun's 5 s */
const SLOW = 60_000;
/** every container and network this file made, for the final check */
const made = { containers: [] as string[], networks: [] as string[], bridges: [] as string[] };
/** `network create`, remembering the bridge for afterAll (a failed test may leave it) */
function createNet(args: string[]): void {
  expect(ctr(["network", "create", ...args]).code).toBe(0);
  made.bridges.push(JSON.parse(ctr(["network", "inspect", args.at(-1)!]).stdout)[0].Options["com.docker.network.bridge.name"]);
}

/** The probe answering on PORT inside the namespace at nsPath; resolves once it is bound. */
async function probe(nsPath: string, proto: "tcp" | "udp", port: number): Promise<void> {
  const p = Bun.spawn(["nsenter", `--net=${nsPath}`, process.execPath, PROBE, proto, String(port)], { stdout: "pipe", stderr: "ignore" });
  probes.push(p);
  const reader = p.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  expect(new TextDecoder().decode(value)).toBe("ready\n");
}

/** A UDP datagram from the namespace at nsPath (or the host) to ip:port; the answer, or "" after 2 s. */
function udpAsk(nsPath: string | undefined, ip: string, port: number): string {
  const code = `const s=require("node:dgram").createSocket("udp4");s.on("message",(m)=>{process.stdout.write(m);process.exit(0)});` +
    `s.send("hi",${port},"${ip}");setTimeout(()=>process.exit(1),2000)`;
  const argv = [process.execPath, "-e", code];
  return Bun.spawnSync(nsPath ? ["nsenter", `--net=${nsPath}`, ...argv] : argv).stdout.toString();
}

/** A TCP connection from the outside namespace, through a container joined to it (busybox nc). */
const fromOutside = (ip: string, port: number) => ctr(["run", "--rm", "--net", `ns:${OUTSIDE_NS}`, ROOTFS, "sh", "-c", `nc -w 3 ${ip} ${port} </dev/null`]);

/** Rules in ctr's table that belong to these containers or to this file's networks. */
function ourRules(ids: string[]) {
  made.containers.push(...ids);
  made.networks.push(...listNetworks(root).map((n) => n.id));
  const nets = made.networks;
  return listRules().filter((r) => {
    const o = parseOwner(r.comment);
    return ids.includes(o.container ?? "") || nets.includes(o.network ?? "") || nets.some((n) => n.startsWith(o.net ?? "-"));
  });
}

beforeAll(() => {
  const inside = createNetns(OUTSIDE_NS);
  const fd = openSync(OUTSIDE_NS, "r");
  try {
    withNetlink((host) => {
      host.createVeth({ name: OUT_VETH, peerName: "eth0", peerNetnsFd: fd });
      const i = host.index(OUT_VETH);
      host.addAddress(i, HOST_IP, 30);
      host.setLink(i, { up: true });
    });
    inside.setLink(1, { up: true });
    const e = inside.index("eth0");
    inside.addAddress(e, OUTSIDE_IP, 30);
    inside.setLink(e, { up: true });
    // a way back to every container subnet: only ctr's rules keep traffic out (internal) or rewrite it (masquerade)
    inside.addRoute({ dst: `10.${X}.0.0/16`, gateway: HOST_IP });
  } finally {
    closeSync(fd);
    inside.close();
  }
});

afterAll(() => {
  writeFileSync(IP_FORWARD, forwardBefore);
  for (const p of probes) p.kill("SIGKILL");
  withNetlink((nl) => {
    nl.deleteLink(OUT_VETH);
    for (const n of made.bridges) nl.deleteLink(n);
    nl.deleteLink(BRIDGE);
  });
  removeNetns(OUTSIDE_NS);
});

describe("outbound NAT", () => {
  test("a container reaches the outside namespace with its source masqueraded to the host's address", async () => {
    await probe(OUTSIDE_NS, "tcp", 9000);
    const name = uniqueName("out");
    const r = ctr(["run", "--name", name, ROOTFS, "sh", "-c", `nc -w 3 ${OUTSIDE_IP} 9000 </dev/null`]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`${HOST_IP}\n`); // not the container's 10.X.0.N: the outside has no route to it
    expect(readFileSync(IP_FORWARD, "utf8").trim()).toBe("1"); // ip_forward = true in the config
    const id = ctr(["inspect", "--format", "{{.Id}}", name]).stdout.trim();
    const masq = ourRules([id]).filter((r) => r.chain === "postrouting");
    expect(masq.length).toBe(1);
    ctr(["rm", name]);
    expect(ourRules([id])).toEqual([]);
  }, SLOW);

  test("--internal: no way out, even with forwarding on and a route added by hand (nat = false: out it goes)", () => {
    const net = uniqueName("int");
    createNet(["--internal", net]);
    const gw = JSON.parse(ctr(["network", "inspect", net]).stdout)[0].IPAM.Config[0].Gateway;
    const escape = ["--cap-add", "NET_ADMIN", "--net", net, ROOTFS, "sh", "-c", `ip route add default via ${gw} && (nc -w 2 ${OUTSIDE_IP} 9000 </dev/null 2>/dev/null || echo blocked)`];
    // the control: without ctr's rules the host forwards it, unmasqueraded (the outside sees the container's own address)
    const control = ctrNoNat(["run", "--rm", ...escape]);
    expect(control.stdout).toMatch(new RegExp(`^10\\.${X}\\.\\d+\\.2\\n$`));
    const r = ctr(["run", "--rm", ...escape]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("blocked\n");
    expect(ctr(["network", "rm", net]).code).toBe(0);
  }, SLOW);
});

describe("published ports", () => {
  test("TCP by DNAT from outside (the client's address kept); the proxy on 127.0.0.1; ps and port show it", async () => {
    const name = uniqueName("web");
    const id = ctr(["run", "-d", "--name", name, "-p", "8000", ROOTFS, "sleep", "100"]).stdout.trim();
    await probe(join(root, "netns", id), "tcp", 8000);
    const line = ctr(["port", name, "8000"]).stdout.trim();
    expect(line).toMatch(/^0\.0\.0\.0:\d+$/);
    const hostPort = Number(line.split(":")[1]);
    expect(ctr(["port", name]).stdout).toBe(`8000/tcp -> 0.0.0.0:${hostPort}\n`);
    expect(ctr(["ps", "--format", "{{.Ports}}"]).stdout).toBe(`0.0.0.0:${hostPort}->8000/tcp\n`);
    // from outside, to the host's non-loopback address: DNAT, so the container sees the client itself
    expect(fromOutside(HOST_IP, hostPort).stdout).toBe(`${OUTSIDE_IP}\n`);
    // from this host to loopback: the proxy, which connects from the bridge's gateway
    const viaProxy = await Bun.connect({ hostname: "127.0.0.1", port: hostPort, socket: { data(s, d) { (s.data as string[]).push(d.toString()); } }, data: [] as string[] });
    for (let i = 0; i < 100 && !(viaProxy.data as string[]).join("").includes("\n"); i++) await Bun.sleep(20);
    expect((viaProxy.data as string[]).join("")).toBe(`${GATEWAY}\n`);
    viaProxy.end();
    const dnat = ourRules([id]).filter((r) => r.comment?.endsWith(`port=tcp/${hostPort}`));
    expect(dnat.map((r) => r.chain).sort()).toEqual(["output", "prerouting"]);
    ctr(["rm", "-f", name]);
    expect(ourRules([id])).toEqual([]);
  }, SLOW);

  test("UDP (-p PORT/udp): through the proxy on loopback and by DNAT from outside", async () => {
    const name = uniqueName("dns");
    const r = ctr(["run", "-d", "--name", name, "-p", "5353/udp", ROOTFS, "sleep", "100"]);
    expect(r.stderr).toBe("");
    const id = r.stdout.trim();
    await probe(join(root, "netns", id), "udp", 5353);
    const hostPort = Number(ctr(["port", name, "5353/udp"]).stdout.trim().split(":")[1]);
    expect(hostPort).toBeGreaterThan(0);
    expect(udpAsk(undefined, "127.0.0.1", hostPort)).toBe(`${GATEWAY}\n`);
    expect(udpAsk(OUTSIDE_NS, HOST_IP, hostPort)).toBe(`${OUTSIDE_IP}\n`);
    expect(ctr(["ps", "--format", "{{.Ports}}"]).stdout).toBe(`0.0.0.0:${hostPort}->5353/udp\n`);
    ctr(["rm", "-f", name]);
    expect(ourRules([id])).toEqual([]);
  }, SLOW);

  test("-P publishes --expose'd ports on free host ports; inspect shows them", () => {
    const name = uniqueName("all");
    const r = ctr(["run", "-d", "--name", name, "-P", "--expose", "7000-7001", "--expose", "53/udp", "-p", "127.0.0.1::9000", ROOTFS, "sleep", "100"]);
    expect(r.stderr).toBe("");
    const lines = ctr(["port", name]).stdout.trim().split("\n");
    expect(lines.map((l) => l.replace(/:\d+$/, ":N"))).toEqual(["53/udp -> 0.0.0.0:N", "7000/tcp -> 0.0.0.0:N", "7001/tcp -> 0.0.0.0:N", "9000/tcp -> 127.0.0.1:N"]);
    const i = JSON.parse(ctr(["inspect", name]).stdout)[0];
    expect(Object.keys(i.NetworkSettings.Ports).sort()).toEqual(["53/udp", "7000/tcp", "7001/tcp", "9000/tcp"]);
    expect(i.HostConfig.PublishAllPorts).toBe(true);
    expect(Object.keys(i.Config.ExposedPorts).sort()).toEqual(["53/udp", "7000/tcp", "7001/tcp", "9000/tcp"]);
    expect(ctr(["rm", "-f", name]).code).toBe(0);
    // exposed without -P: shown, not published
    const quiet = uniqueName("exposed");
    ctr(["run", "-d", "--name", quiet, "--expose", "6000", ROOTFS, "sleep", "100"]);
    expect(JSON.parse(ctr(["inspect", quiet]).stdout)[0].NetworkSettings.Ports).toEqual({ "6000/tcp": null });
    expect(ctr(["ps", "--format", "{{.Ports}}"]).stdout).toBe("6000/tcp\n");
    expect(ctr(["port", quiet]).stdout).toBe("");
    expect(ctr(["rm", "-f", quiet]).code).toBe(0);
  }, SLOW);
});

describe("isolation between user networks", () => {
  test("with forwarding on, a container on one network cannot reach another network; the rules go with the last container", () => {
    const a = uniqueName("neta");
    const b = uniqueName("netb");
    createNet([a]);
    createNet([b]);
    const netA = listNetworks(root).find((n) => n.name === a)!;
    const serve = (run: typeof ctr) => {
      const srv = uniqueName("srv");
      run(["run", "-d", "--name", srv, "--net", a, ROOTFS, "nc", "-ll", "-p", "5000", "-e", "echo", "open"]);
      return { srv, ip: JSON.parse(ctr(["inspect", srv]).stdout)[0].NetworkSettings.Networks[a].IPAddress as string };
    };
    const reach = (run: typeof ctr, net: string, ip: string) =>
      run(["run", "--rm", "--net", net, ROOTFS, "sh", "-c", `nc -w 2 ${ip} 5000 </dev/null 2>/dev/null || echo blocked`]).stdout;
    // the control: with nat = false ctr adds no rules, and the forwarding host routes between the bridges
    const plain = serve(ctrNoNat);
    expect(listRules().filter((r) => parseOwner(r.comment).network === netA.id)).toEqual([]);
    expect(reach(ctrNoNat, b, plain.ip)).toBe("open\n");
    ctr(["rm", "-f", plain.srv]);
    // with ctr's rules: open within network a, dropped from network b
    const guarded = serve(ctr);
    expect(readFileSync(IP_FORWARD, "utf8").trim()).toBe("1");
    expect(listRules().filter((r) => parseOwner(r.comment).network === netA.id).map((r) => r.chain)).toEqual(["forward", "isolate"]);
    expect(reach(ctr, a, guarded.ip)).toBe("open\n");
    expect(reach(ctr, b, guarded.ip)).toBe("blocked\n");
    ctr(["rm", "-f", guarded.srv]);
    expect(listRules().filter((r) => parseOwner(r.comment).network === netA.id)).toEqual([]);
    expect(ctr(["network", "rm", a, b]).code).toBe(0);
  }, SLOW);
});

describe("ctr version", () => {
  test("says which path published ports and outbound traffic take", () => {
    const on = JSON.parse(ctr(["version", "--json"]).stdout).Network;
    expect(on.NfTables).toBe("yes");
    expect(on.PublishedPorts).toBe("nftables DNAT (table ip ctr, over netlink) + userland proxy for loopback");
    expect(on.OutboundNat).toBe("nftables masquerade (table ip ctr)");
    const off = JSON.parse(ctrNoNat(["version", "--json"]).stdout).Network;
    expect(off.PublishedPorts).toBe("userland proxy only");
    expect(off.OutboundNat).toBe("none");
  }, SLOW);
});

describe("nothing left behind", () => {
  test("a batch the kernel refuses changes nothing (atomic), and the error says what needs nf_tables and how to do without", () => {
    const before = listRules().length;
    const hadTable = tableExists();
    let message = "";
    try {
      addRules([{ chain: "nosuchchain", exprs: [], comment: `container=nattest${process.pid}` }]);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("outbound NAT and published ports need nf_tables, and the kernel refused it: NFT_MSG_NEWRULE table ip ctr: ENOENT");
    expect(message).toContain("set nat = false under [network] in /etc/ctr/ctr.toml");
    expect(listRules().length).toBe(before);
    expect(tableExists()).toBe(hadTable); // the table and chains in the same batch were not made either
  }, SLOW);

  test("a batch made against an older generation is refused (ERESTART): an emptied table is never deleted under another ctr's new rule", () => {
    const mine = `nattest${process.pid}`.padEnd(64, "0");
    const theirs = `nattest${process.pid}`.padEnd(64, "1");
    addRules([masqueradeRule(mine, mine, "10.255.255.2", "ctrnone0")]);
    withNftables((nft) => {
      const gen = nft.generation();
      addRules([masqueradeRule(theirs, theirs, "10.255.255.3", "ctrnone0")], nft); // another ctr, meanwhile
      let errno = 0;
      try {
        nft.batch([cmd.delTable(TABLE)], "stale", gen);
      } catch (e) {
        errno = (e as { errno: number }).errno;
      }
      expect(errno).toBe(85); // ERESTART
    });
    expect(removeRules(ownedBy.container(mine))).toBe(1);
    expect(listRules().filter((r) => parseOwner(r.comment).container === theirs).length).toBe(1);
    expect(removeRules(ownedBy.container(theirs))).toBe(1);
  }, SLOW);

  test("a --rm container's monitor drops the table its batch made as the init exits; not when another container's rules came since", async () => {
    for (const id of ctr(["ps", "-aq", "--no-trunc"]).stdout.split("\n").filter(Boolean)) ctr(["rm", "-f", id]);
    expect(listRules()).toEqual([]); // no table: the next batch makes it
    const alone = uniqueName("alone");
    const a = ctr(["run", "-d", "--rm", "--name", alone, ROOTFS, "sleep", "100"]).stdout.trim();
    made.containers.push(a);
    expect(listRules().map((r) => parseOwner(r.comment).container)).toContain(a);
    // (its monitor keeps the generation in memory: no nft-gen for rm to read)
    expect(existsSync(join(root, "containers", a, "nft-gen"))).toBe(false);
    expect(ctr(["stop", "-t", "0", alone]).code).toBe(0);
    for (let i = 0; i < 100 && existsSync(join(root, "containers", a)); i++) await Bun.sleep(20);
    expect(existsSync(join(root, "containers", a))).toBe(false);
    expect(tableExists()).toBe(false);
    // the same, with a second container started meanwhile: the generation moved, so the monitor's
    // drop is refused (ERESTART) and rm removes the first one's rules alone
    const first = uniqueName("first");
    const f = ctr(["run", "-d", "--rm", "--name", first, ROOTFS, "sleep", "100"]).stdout.trim();
    const second = uniqueName("second");
    const g = ctr(["run", "-d", "--name", second, ROOTFS, "sleep", "100"]).stdout.trim();
    made.containers.push(f, g);
    expect(ctr(["stop", "-t", "0", first]).code).toBe(0);
    for (let i = 0; i < 100 && existsSync(join(root, "containers", f)); i++) await Bun.sleep(20);
    const owners = listRules().map((r) => parseOwner(r.comment).container ?? parseOwner(r.comment).network);
    expect(owners).not.toContain(f);
    expect(owners).toContain(g);
    expect(ctr(["rm", "-f", second]).code).toBe(0);
    expect(tableExists()).toBe(false);
  }, SLOW);

  test("a container gone without rm (a crash): the next run on its network reclaims its lease and its rules", async () => {
    const ghost = uniqueName("ghost");
    const id = ctr(["run", "-d", "--name", ghost, ROOTFS, "true"]).stdout.trim();
    for (let i = 0; i < 100 && ctr(["inspect", "--format", "{{.State.Status}}", ghost]).stdout.trim() !== "exited"; i++) await Bun.sleep(20);
    made.containers.push(id);
    const its = () => listRules().filter((r) => parseOwner(r.comment).container === id);
    expect(its().map((r) => r.chain)).toEqual(["postrouting"]);
    const rec = JSON.parse(readFileSync(join(root, "containers", id, "record.json"), "utf8"));
    // the crash: its record and name are gone, nothing else was undone
    rmSync(join(root, "containers", id), { recursive: true });
    rmSync(join(root, "names", ghost));
    expect(ctr(["run", "--rm", ROOTFS, "true"]).code).toBe(0);
    expect(its()).toEqual([]);
    // what the simulated crash left outside ctr's reach: the cgroup directories
    for (const p of rec.cgroup.paths as string[]) if (existsSync(p)) rmdirSync(p);
  }, SLOW);

  test("after rm of every container, none of this file's rules remain; with no other rules the table is gone", () => {
    for (const id of ctr(["ps", "-aq", "--no-trunc"]).stdout.split("\n").filter(Boolean)) ctr(["rm", "-f", id]);
    expect(ourRules(made.containers)).toEqual([]);
    // another ctr on this host may hold rules of its own; only then may the table stay
    const rest = listRules();
    expect(tableExists()).toBe(rest.length > 0);
  }, SLOW);
});
