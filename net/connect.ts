// `network connect` and `network disconnect`: an interface added to or
// removed from a running container's namespace. Apart from net/container.ts
// (whose helpers it uses) because it reads the host config with the TOML
// parser, which a container's start loads only when it must.
import { closeSync, existsSync, openSync } from "node:fs";
import { planEndpoint, wireEndpoint } from "./bridge.ts";
import { loadNetConfig, runSettings } from "./config.ts";
import { endpointRules, findNetwork, leaving, type NetContext, reclaim, refreshHosts } from "./container.ts";
import { stopDns } from "./dns/lifecycle.ts";
import { NetError } from "./errors.ts";
import { addRules, removeRules } from "./firewall.ts";
import { netnsPath } from "./modes.ts";
import { withNetlink } from "./netlink/client.ts";
import { openInNetns } from "./netns.ts";
import { addLease, dropLease, type Endpoint, listNetworks, withNetLock } from "./store.ts";
import { emitEvent } from "../runtime/state/events.ts";

/** `network connect`: a new interface in a running container's namespace. */
export function connectContainer(ctx: NetContext, id: string, name: string, network: string, aliases: string[], ip?: string): Endpoint {
  const path = netnsPath(ctx.root, id);
  if (!existsSync(path)) throw new NetError(`container ${name} has no network namespace of ctr's making (--net host, none or container:): it cannot be connected`);
  return withNetLock(ctx.root, () => {
    const net = findNetwork(ctx.root, network, loadNetConfig);
    if (net.endpoints[id]) throw new NetError(`endpoint with name ${name} already exists in network ${network}`);
    const all = listNetworks(ctx.root);
    const used = new Set(all.flatMap((n) => (n.endpoints[id] ? [n.endpoints[id]!.ifname] : [])));
    let k = 0;
    while (used.has(`eth${k}`)) k++;
    const e = planEndpoint(net, { container: id, name, aliases: net.builtin ? [] : aliases, ifname: `eth${k}` }, ip);
    const inside = openInNetns(path);
    const fd = openSync(path, "r");
    try {
      withNetlink((host) => {
        reclaim(ctx, net);
        const first = Object.keys(net.endpoints).length === 0;
        addLease(ctx.root, net, e);
        try {
          wireEndpoint(host, inside, fd, net, e, { defaultRoute: used.size === 0 });
          addRules(endpointRules(runSettings(), id, [{ net, first }]));
        } catch (err) {
          host.deleteLink(e.veth);
          dropLease(ctx.root, net, id);
          removeRules(leaving(id, [net], false));
          throw err;
        }
      });
    } finally {
      closeSync(fd);
      inside.close();
    }
    refreshHosts(ctx.root, [net]);
    emitEvent("network", "connect", net.id, { container: id, name: net.name, type: net.driver }, ctx.root);
    return e;
  });
}

/** `network disconnect`: the interface goes (deleting the host end takes its peer), then the lease. */
export function disconnectContainer(ctx: NetContext, id: string, network: string): void {
  withNetLock(ctx.root, () => {
    const net = findNetwork(ctx.root, network, loadNetConfig);
    const e = net.endpoints[id];
    if (!e) throw new NetError(`container ${id.slice(0, 12)} is not connected to network ${network}`);
    withNetlink((host) => host.deleteLink(e.veth));
    dropLease(ctx.root, net, id);
    removeRules(leaving(id, [net], false));
    if (!net.builtin && Object.keys(net.endpoints).length === 0) stopDns(ctx.root, net.name);
    refreshHosts(ctx.root, [net]);
    emitEvent("network", "disconnect", net.id, { container: id, name: net.name, type: net.driver }, ctx.root);
  });
}
