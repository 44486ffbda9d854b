// The networks store: a record per network, its leases as files beside it.
// A run adds a lease and an rm releases it without rewriting the record.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { addLease, deleteNetwork, dropLease, type Endpoint, forgetGoneReleases, listNetworks, loadNetwork, networksOf, type NetworkRecord, releaseLease, saveNetwork } from "../../../net/store.ts";

const root = mkdtempSync(join(tmpdir(), "ctr-store-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const record = (name: string): NetworkRecord => ({
  name, id: `${name}-id`, driver: "bridge", bridge: `br-${name}`, subnet: "10.9.0.0/24", gateway: "10.9.0.1",
  internal: false, mtu: 1500, created: "", labels: {}, endpoints: {},
});
// a veth name no host has: its release is forgotten as soon as asked
const ep = (container: string, ip: string, veth = `vethgone${container}`): Endpoint => ({ container, name: container, aliases: [], ip, mac: "", veth, ifname: "eth0" });

describe("network store", () => {
  test("leases are files of their own: the record is written once, at its making", () => {
    const n = record("one");
    saveNetwork(root, n);
    const file = join(root, "networks", "one.json");
    const before = statSync(file).ino;
    addLease(root, n, ep("a", "10.9.0.2"));
    addLease(root, n, ep("b", "10.9.0.3"));
    expect(statSync(file).ino).toBe(before);
    expect(JSON.parse(readFileSync(file, "utf8")).endpoints).toBeUndefined();
    const back = loadNetwork(root, "one")!;
    expect(Object.keys(back.endpoints).sort()).toEqual(["a", "b"]);
    expect(back.endpoints.b!.ip).toBe("10.9.0.3");
    expect(back.subnet).toBe("10.9.0.0/24");
  });

  test("released: the address stays taken until its veth is gone, then is forgotten", () => {
    const n = loadNetwork(root, "one")!;
    expect(releaseLease(root, n, "a")).toBe(true);
    // given back by someone else meanwhile (a --rm container's monitor): not an error, not given back twice
    const stale = loadNetwork(root, "one")!;
    stale.endpoints.a = ep("a", "10.9.0.2");
    expect(releaseLease(root, stale, "a")).toBe(false);
    // lo exists on every host: a veth that is still there
    const held = record("held");
    saveNetwork(root, held);
    addLease(root, held, ep("c", "10.9.0.4", "lo"));
    releaseLease(root, held, "c");
    const again = loadNetwork(root, "held")!;
    expect(again.endpoints).toEqual({});
    expect(again.released).toEqual([{ veth: "lo", ip: "10.9.0.4" }]);
    forgetGoneReleases(root, again);
    expect(again.released).toHaveLength(1);
    expect(loadNetwork(root, "held")!.released).toHaveLength(1);

    const one = loadNetwork(root, "one")!;
    expect(Object.keys(one.endpoints)).toEqual(["b"]);
    expect(one.released).toEqual([{ veth: "vethgonea", ip: "10.9.0.2" }]);
    forgetGoneReleases(root, one);
    expect(one.released).toEqual([]);
    expect(loadNetwork(root, "one")!.released).toBeUndefined();
  });

  test("networksOf finds a container's networks; dropLease forgets one outright", () => {
    const two = record("two");
    saveNetwork(root, two);
    addLease(root, two, ep("b", "10.9.0.9"));
    expect(networksOf(root, "b").map((n) => n.name)).toEqual(["one", "two"]);
    expect(networksOf(root, "nobody")).toEqual([]);
    dropLease(root, two, "b");
    expect(two.endpoints).toEqual({});
    expect(networksOf(root, "b").map((n) => n.name)).toEqual(["one"]);
  });

  test("a record from before lease files: its leases are written out, once, and the record keeps its settings alone", () => {
    const old = { ...record("old"), endpoints: { d: ep("d", "10.9.0.7") }, released: [{ veth: "lo", ip: "10.9.0.8" }] };
    writeFileSync(join(root, "networks", "old.json"), JSON.stringify(old));
    const n = loadNetwork(root, "old")!;
    expect(Object.keys(n.endpoints)).toEqual(["d"]);
    expect(n.released).toEqual([{ veth: "lo", ip: "10.9.0.8" }]);
    const onDisk = JSON.parse(readFileSync(join(root, "networks", "old.json"), "utf8"));
    expect(onDisk.endpoints).toBeUndefined();
    expect(onDisk.released).toBeUndefined();
    expect(onDisk.subnet).toBe("10.9.0.0/24");
    // and from then on the files are the truth: a lease given back stays given back
    releaseLease(root, n, "d");
    expect(Object.keys(loadNetwork(root, "old")!.endpoints)).toEqual([]);
    deleteNetwork(root, "old");
  });

  test("leases given back while they are read (a monitor's rename, without the lock): no read fails, no address is missed", async () => {
    const n = record("busy");
    saveNetwork(root, n);
    const dir = join(root, "networks", "busy.leases");
    addLease(root, n, ep("first", "10.9.0.1"));
    // another process makes leases and gives each back, one after another, as fast as it can
    const flipper = Bun.spawn([process.execPath, "-e", `
      const { renameSync, writeFileSync } = require("node:fs");
      for (let i = 0; i < 3000; i++) {
        const ip = "10.9." + (i >> 8) + "." + (i & 255);
        writeFileSync("${dir}/c" + i + ".json.tmp", JSON.stringify({ container: "c" + i, ip, veth: "v" + i }));
        renameSync("${dir}/c" + i + ".json.tmp", "${dir}/c" + i + ".json");
        renameSync("${dir}/c" + i + ".json", "${dir}/v" + i + ".released");
      }
    `], { stdout: "ignore", stderr: "inherit" });
    try {
      // an address once seen taken stays seen (nothing here forgets one), through every rename
      let before = new Set<string>();
      let loads = 0;
      while (flipper.exitCode === null) {
        const got = loadNetwork(root, "busy")!;
        const now = new Set([...Object.values(got.endpoints).map((e) => e.ip), ...(got.released ?? []).map((r) => r.ip)]);
        expect([...before].filter((ip) => !now.has(ip))).toEqual([]);
        before = now;
        loads++;
        await Bun.sleep(0);
      }
      expect(await flipper.exited).toBe(0);
      expect(loads).toBeGreaterThan(10);
      expect(loadNetwork(root, "busy")!.released).toHaveLength(3000);
    } finally {
      flipper.kill();
      deleteNetwork(root, "busy");
    }
  });

  test("a lease a crash left half-written is no lease; deleteNetwork takes the leases too", () => {
    writeFileSync(join(root, "networks", "one.leases", "x.json.tmp"), "{");
    expect(Object.keys(loadNetwork(root, "one")!.endpoints)).toEqual(["b"]);
    deleteNetwork(root, "one");
    expect(existsSync(join(root, "networks", "one.leases"))).toBe(false);
    expect(listNetworks(root).map((n) => n.name)).toEqual(["held", "two"]);
    expect(readdirSync(join(root, "networks")).sort()).toEqual(["held.json", "held.leases", "two.json", "two.leases"]);
  });
});
