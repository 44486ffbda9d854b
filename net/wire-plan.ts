// The network plan: what the monitor (runtime/native/netlink.c) makes of a
// container's endpoints while its init sets up the rootfs. TS decides every
// name, address and MAC here; the plan travels over the init's gate once the
// leases are recorded (net/start.ts finishContainerNet). Host ends first:
// the monitor enters the namespace for the rest.
import type { Step } from "../runtime/plan-wire.ts";
import { parseSubnet } from "./ipam.ts";
import type { Endpoint, NetworkRecord } from "./store.ts";

/** A lease the monitor of a --rm container gives back at its exit (OP_NET_RELEASE): the files, and its event up to the time. */
export interface Release {
  lease: string;
  released: string;
  event: string;
}

export function wirePlan(eps: { net: NetworkRecord; ep: Endpoint }[], rules?: { bytes: Uint8Array; commands: number }, release: Release[] = []): Step[] {
  const steps: Step[] = [];
  // a namespace just made holds only lo (ifindex 1): eth0 is asked for as ifindex 2, eth1 3, ...
  eps.forEach(({ net, ep }, k) => steps.push({ op: "NET_VETH", args: [ep.ifname, String(2 + k), ep.mac, String(net.mtu), ep.veth, net.bridge] }));
  // the nf_tables batch (net/firewall.ts rulesBatch), in the host's namespace too
  if (rules) steps.push({ op: "NET_NFT", args: [rules.bytes, String(rules.commands)] });
  // lo comes up too: an init in a user namespace of its own could not do it
  steps.push({ op: "NET_LO", args: [] });
  for (const { net, ep } of eps) steps.push({ op: "NET_ADDR", args: [ep.ifname, ep.ip, String(parseSubnet(net.subnet).prefix)] });
  // the default route through the first network, unless it is --internal
  if (eps[0] && !eps[0].net.internal) steps.push({ op: "NET_ROUTE", args: [eps[0].net.gateway] });
  // not wired: kept by the monitor for the exit
  for (const r of release) steps.push({ op: "NET_RELEASE", args: [r.lease, r.released, r.event] });
  return steps;
}
