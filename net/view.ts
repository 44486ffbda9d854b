// Networks as Docker lists and inspects them, the predefined three included:
// the default bridge (its record, or what it will be before first use),
// host and none (which have no record: their ids are fixed hashes of their
// names). Shared by `ctr network` and the API.
import { loadNetConfig } from "./config.ts";
import { firstHost, parseSubnet } from "./ipam.ts";
import { inspectNetwork } from "./networks.ts";
import { listNetworks, loadNetwork, type NetworkRecord } from "./store.ts";

export type NetworkView = Omit<ReturnType<typeof inspectNetwork>, "Driver" | "Options"> & { Driver: string; Options: Record<string, string> };

const hashId = (s: string) => new Bun.CryptoHasher("sha256").update(s).digest("hex");

function pseudo(name: "host" | "none"): NetworkView {
  return {
    Name: name, Id: hashId(name), Created: new Date(0).toISOString(), Scope: "local", Driver: name === "host" ? "host" : "null",
    EnableIPv6: false, IPAM: { Driver: "default", Options: null, Config: [] }, Internal: false, Attachable: false, Ingress: false,
    Containers: {}, Options: {}, Labels: {},
  };
}

/** The default network as it is, or as it will be made on first use (nothing is written here). */
function defaultBridge(root: string): NetworkRecord {
  const have = loadNetwork(root, "bridge");
  if (have) return have;
  const cfg = loadNetConfig();
  return {
    name: "bridge", id: hashId(cfg.bridge), driver: "bridge", bridge: cfg.bridge, subnet: cfg.subnet, gateway: firstHost(parseSubnet(cfg.subnet)),
    internal: false, mtu: cfg.mtu, created: new Date(0).toISOString(), builtin: true, labels: {}, endpoints: {},
  };
}

/** Every network, sorted by name. */
export function networkViews(root: string): NetworkView[] {
  const user = listNetworks(root).filter((n) => !n.builtin);
  return [inspectNetwork(defaultBridge(root)), pseudo("host"), pseudo("none"), ...user.map(inspectNetwork)].sort((a, b) => a.Name.localeCompare(b.Name));
}

/** By name, full id or a unique id prefix, as Docker resolves a network reference. */
export function findNetworkView(root: string, ref: string): NetworkView | undefined {
  const all = networkViews(root);
  const exact = all.find((n) => n.Name === ref) ?? all.find((n) => n.Id === ref);
  if (exact) return exact;
  if (!/^[0-9a-f]{1,64}$/.test(ref)) return undefined;
  const hits = all.filter((n) => n.Id.startsWith(ref));
  return hits.length === 1 ? hits[0] : undefined;
}
