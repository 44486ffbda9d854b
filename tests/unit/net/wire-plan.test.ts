// The network plan the monitor runs (runtime/native/netlink.c): its order
// matters (the host's side first, then inside the namespace) and every name,
// address and MAC in it is decided here.
import { describe, expect, test } from "bun:test";
import { wireError } from "../../../net/wire-errors.ts";
import { wirePlan } from "../../../net/wire-plan.ts";
import type { Endpoint, NetworkRecord } from "../../../net/store.ts";

const net = (name: string, o: Partial<NetworkRecord> = {}): NetworkRecord => ({
  name, id: `${name}id`, driver: "bridge", bridge: `br-${name}`, subnet: "10.5.0.0/16", gateway: "10.5.0.1", internal: false, mtu: 1500,
  created: "", labels: {}, endpoints: {}, ...o,
});
const ep = (ifname: string, ip: string): Endpoint => ({ container: "c1", name: "web", aliases: [], ip, mac: "02:42:0a:05:00:02", veth: `vethc1${ifname.slice(3) === "0" ? "" : ifname.slice(3)}`, ifname });

describe("network plan", () => {
  test("host side first (veths, then the rules), then lo, addresses and the default route inside", () => {
    const rules = { bytes: new Uint8Array([1, 2, 3]), commands: 7 };
    const steps = wirePlan([{ net: net("a"), ep: ep("eth0", "10.5.0.2") }, { net: net("b", { subnet: "10.6.0.0/24", gateway: "10.6.0.1" }), ep: ep("eth1", "10.6.0.9") }], rules);
    expect(steps.map((s) => s.op)).toEqual(["NET_VETH", "NET_VETH", "NET_NFT", "NET_LO", "NET_ADDR", "NET_ADDR", "NET_ROUTE"]);
    expect(steps[0]!.args).toEqual(["eth0", "2", "02:42:0a:05:00:02", "1500", "vethc1", "br-a"]);
    expect(steps[1]!.args.slice(0, 2)).toEqual(["eth1", "3"]);
    expect(steps[2]!.args).toEqual([rules.bytes, "7"]);
    expect(steps[5]!.args).toEqual(["eth1", "10.6.0.9", "24"]);
    expect(steps[6]!.args).toEqual(["10.5.0.1"]);
  });
  test("no default route when the first network is --internal; no rules step without rules", () => {
    const steps = wirePlan([{ net: net("a", { internal: true }), ep: ep("eth0", "10.5.0.2") }]);
    expect(steps.map((s) => s.op)).toEqual(["NET_VETH", "NET_LO", "NET_ADDR"]);
  });
  test("leases for the monitor to give back at a --rm exit come last, after everything it wires", () => {
    const release = [{ lease: "/r/networks/bridge.leases/c1.json", released: "/r/networks/bridge.leases/vethc1.released", event: '{"Type":"network"' }];
    const steps = wirePlan([{ net: net("a"), ep: ep("eth0", "10.5.0.2") }], undefined, release);
    expect(steps.map((s) => s.op)).toEqual(["NET_VETH", "NET_LO", "NET_ADDR", "NET_ROUTE", "NET_RELEASE"]);
    expect(steps.at(-1)!.args).toEqual([release[0]!.lease, release[0]!.released, release[0]!.event]);
  });
  test("a failed step reads as the netlink client's error would", () => {
    const steps = wirePlan([{ net: net("a"), ep: ep("eth0", "10.5.0.2") }]);
    expect(wireError(steps, 0, 95).message).toBe("RTM_NEWLINK veth vethc1 (eth0 in the container, into bridge br-a): EOPNOTSUPP");
    expect(wireError(steps, 2, 17).message).toBe("RTM_NEWADDR 10.5.0.2/16 on eth0: EEXIST");
  });
});
