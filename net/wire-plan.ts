// The network plan: what the monitor (runtime/native/netlink.c) makes of a
// container's endpoints while its init sets up the rootfs. TS decides every
// name, address and MAC here; the plan travels over the init's gate once the
// leases are recorded (net/container.ts beginContainerNet). Host ends first:
// the monitor enters the namespace for the rest.
import type { Step } from "../runtime/plan-wire.ts";
import { rulesError } from "./firewall.ts";
import { parseSubnet } from "./ipam.ts";
import { NetlinkError } from "./netlink/client.ts";
import { RTM } from "./netlink/codec.ts";
import type { Endpoint, NetworkRecord } from "./store.ts";

export function wirePlan(eps: { net: NetworkRecord; ep: Endpoint }[], rules?: { bytes: Uint8Array; commands: number }): Step[] {
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
  return steps;
}

/** What the monitor reported as failed ("neterror STEP ERRNO"), as the netlink client would say it. */
export function wireError(steps: Step[], step: number, errno: number): Error {
  const s = steps[step];
  const a = (i: number) => String(s?.args[i] ?? "");
  if (s?.op === "NET_NFT") return rulesError(errno);
  if (s?.op === "NET_VETH") return new NetlinkError(RTM.NEWLINK, errno, `veth ${a(4)} (${a(0)} in the container, into bridge ${a(5)})`);
  if (s?.op === "NET_ADDR") return new NetlinkError(RTM.NEWADDR, errno, `${a(1)}/${a(2)} on ${a(0)}`);
  if (s?.op === "NET_LO") return new NetlinkError(RTM.NEWLINK, errno, "lo");
  if (s?.op === "NET_ROUTE") return new NetlinkError(RTM.NEWROUTE, errno, `default via ${a(0)}`);
  return new NetlinkError(RTM.NEWLINK, errno, "netlink socket");
}
