// A failed step of the network plan (net/wire-plan.ts), as the user reads
// it: the monitor reports (step, errno), this names what it was making.
import type { Step } from "../runtime/plan-wire.ts";
import { rulesError } from "./firewall.ts";
import { NetlinkError } from "./netlink/client.ts";
import { RTM } from "./netlink/codec.ts";

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
