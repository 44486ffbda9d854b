// ctr network create|ls|inspect|rm|connect|disconnect: one verb, its
// subcommands each a few lines over a backend: net/ on this host, or a
// daemon's API (ctr -H, cmd/remote.ts), printed the same way.
import { netContext } from "../net/container.ts";
import { connectContainer, disconnectContainer } from "../net/connect.ts";
import { type CreateNetwork, createNetwork, removeNetwork } from "../net/networks.ts";
import { findNetworkView, type NetworkView, networkViews } from "../net/view.ts";
import { findContainer } from "../runtime/lifecycle.ts";
import { stateRoot } from "../runtime/state/paths.ts";
import { out, parseNamed, usage, type Verb, write } from "./_shared.ts";
import { expandEscapes, renderTemplate } from "./_template.ts";
import { formatRows, listedTime, table } from "./_view.ts";

const HELP = `Usage:  ctr network COMMAND

Manage networks

Commands:
  create      [--subnet CIDR] [--gateway IP] [--internal] [--opt mtu=N] [--label K=V] NAME
  ls          [-q] [--no-trunc] [--format F]    List networks
  inspect     [-f FORMAT] NETWORK...            Display detailed information on networks
  rm          NETWORK...                         Remove networks (refused while containers use them)
  connect     [--alias A] [--ip IP] NETWORK CONTAINER
  disconnect  NETWORK CONTAINER

Example:
  ctr network create --subnet 10.214.7.0/24 backend
  ctr run -d --net backend --network-alias db ./rootfs nc -lk -p 5432 -e cat`;

const parse = (args: string[], values: string[], bools: string[]) => parseNamed(args, values, bools, HELP);

const kv = (list: string[] = []) => Object.fromEntries(list.map((s) => (s.includes("=") ? [s.slice(0, s.indexOf("=")), s.slice(s.indexOf("=") + 1)] : [s, ""])));

/** Where the subcommands act: this host's state (local) or a daemon's API (cmd/remote.ts); the output is the same. */
export interface NetworkBackend {
  list(): Promise<NetworkView[]>;
  find(ref: string): Promise<NetworkView | undefined>;
  create(c: CreateNetwork): Promise<string>;
  remove(ref: string): Promise<void>;
  connect(network: string, container: string, aliases: string[], ip?: string): Promise<void>;
  disconnect(network: string, container: string): Promise<void>;
}

const ctx = () => netContext(stateRoot());

export const localNetworks: NetworkBackend = {
  list: async () => networkViews(stateRoot()),
  find: async (ref) => findNetworkView(stateRoot(), ref),
  create: async (c) => createNetwork(ctx(), c).id,
  remove: async (ref) => removeNetwork(ctx(), findNetworkView(stateRoot(), ref)?.Name ?? ref),
  async connect(network, container, aliases, ip) {
    const rec = findContainer(container);
    connectContainer(ctx(), rec.id, rec.name, network, aliases, ip);
  },
  disconnect: async (network, container) => disconnectContainer(ctx(), findContainer(container).id, network),
};

type Sub = (be: NetworkBackend, args: string[]) => Promise<number | void>;

const SUB: Record<string, Sub> = {
  async create(be, args) {
    const { v, b, pos } = parse(args, ["--subnet", "--gateway", "--opt", "-o", "--label", "--driver", "-d"], ["--internal"]);
    if (pos.length !== 1) usage(`"network create" requires exactly 1 argument.`);
    const driver = (v["--driver"] ?? v["-d"])?.at(-1) ?? "bridge";
    if (driver !== "bridge") usage(`network driver ${driver} is not supported: only bridge`);
    out(await be.create({
      name: pos[0]!, subnet: v["--subnet"]?.at(-1), gateway: v["--gateway"]?.at(-1), internal: b.has("--internal"),
      options: kv([...(v["--opt"] ?? []), ...(v["-o"] ?? [])]), labels: kv(v["--label"]),
    }));
  },
  async ls(be, args) {
    const { v, b } = parse(args, ["--format"], ["-q", "--quiet", "--no-trunc"]);
    const id = (s: string) => (b.has("--no-trunc") ? s : s.slice(0, 12));
    const nets = await be.list();
    if (b.has("-q") || b.has("--quiet")) return out(nets.map((n) => id(n.Id)).join("\n"));
    const format = v["--format"]?.at(-1);
    if (format) {
      // the fields `docker network ls --format` offers
      const fields = nets.map((n) => ({ ID: id(n.Id), Name: n.Name, Driver: n.Driver, Scope: n.Scope, Internal: String(n.Internal), Labels: Object.entries(n.Labels ?? {}).map(([k, x]) => `${k}=${x}`).join(","), CreatedAt: listedTime(n.Created) }));
      return out(format === "json" ? fields.map((f) => JSON.stringify(f)).join("\n") : formatRows(format, fields, { ID: "NETWORK ID" }));
    }
    out(table(["NETWORK ID", "NAME", "DRIVER", "SCOPE"], nets.map((n) => [id(n.Id), n.Name, n.Driver, n.Scope])));
  },
  async inspect(be, args) {
    const { v, pos } = parse(args, ["-f", "--format"], []);
    if (pos.length === 0) usage(`"network inspect" requires at least 1 argument.`);
    const docs: object[] = [];
    let missing = 0;
    for (const name of pos) {
      const n = await be.find(name);
      if (n) docs.push(n);
      else {
        write(2, `Error: No such network: ${name}\n`);
        missing++;
      }
    }
    const format = (v["-f"] ?? v["--format"])?.at(-1);
    if (format) for (const d of docs) out(renderTemplate(expandEscapes(format), d));
    else out(JSON.stringify(docs, null, 4));
    return missing ? 1 : 0;
  },
  async rm(be, args) {
    const { pos } = parse(args, [], ["-f", "--force"]);
    if (pos.length === 0) usage(`"network rm" requires at least 1 argument.`);
    let failed = 0;
    for (const name of pos) {
      try {
        await be.remove(name);
        out(name);
      } catch (e) {
        write(2, `Error response from daemon: ${(e as Error).message}\n`);
        failed++;
      }
    }
    return failed ? 1 : 0;
  },
  async connect(be, args) {
    const { v, pos } = parse(args, ["--alias", "--ip"], []);
    if (pos.length !== 2) usage(`"network connect" requires exactly 2 arguments.`);
    await be.connect(pos[0]!, pos[1]!, v["--alias"] ?? [], v["--ip"]?.at(-1));
  },
  async disconnect(be, args) {
    const { pos } = parse(args, [], ["-f", "--force"]);
    if (pos.length !== 2) usage(`"network disconnect" requires exactly 2 arguments.`);
    await be.disconnect(pos[0]!, pos[1]!);
  },
};

/** `ctr network` against a backend: this host's (the verb) or a daemon's (ctr -H). */
export const networkVerb = (be: NetworkBackend): Verb => async (args) => {
  const [sub, ...rest] = args;
  if (!sub || sub === "--help" || sub === "help") return out(HELP);
  const alias: Record<string, string> = { list: "ls", remove: "rm" };
  const fn = SUB[alias[sub] ?? sub];
  if (!fn) usage(`unknown network command: ${sub}`);
  return (await fn!(be, rest)) ?? 0;
};

export default networkVerb(localNetworks);
