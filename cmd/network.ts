// ctr network create|ls|inspect|rm|connect|disconnect: one verb, its
// subcommands each a few lines over net/.
import { netContext } from "../net/container.ts";
import { connectContainer, disconnectContainer } from "../net/container.ts";
import { createNetwork, inspectNetwork, removeNetwork } from "../net/networks.ts";
import { loadNetwork } from "../net/store.ts";
import { networkViews } from "../net/view.ts";
import { findContainer } from "../runtime/lifecycle.ts";
import { stateRoot } from "../runtime/state/paths.ts";
import { out, parseNamed, usage, type Verb, write } from "./_shared.ts";
import { expandEscapes, renderTemplate } from "./_template.ts";
import { table } from "./_view.ts";

const HELP = `Usage:  ctr network COMMAND

Manage networks

Commands:
  create      [--subnet CIDR] [--gateway IP] [--internal] [--opt mtu=N] [--label K=V] NAME
  ls          [-q] [--no-trunc]                 List networks
  inspect     [-f FORMAT] NETWORK...            Display detailed information on networks
  rm          NETWORK...                         Remove networks (refused while containers use them)
  connect     [--alias A] [--ip IP] NETWORK CONTAINER
  disconnect  NETWORK CONTAINER

Example:
  ctr network create --subnet 10.214.7.0/24 backend
  ctr run -d --net backend --network-alias db ./rootfs nc -lk -p 5432 -e cat`;

const parse = (args: string[], values: string[], bools: string[]) => parseNamed(args, values, bools, HELP);

const kv = (list: string[] = []) => Object.fromEntries(list.map((s) => (s.includes("=") ? [s.slice(0, s.indexOf("=")), s.slice(s.indexOf("=") + 1)] : [s, ""])));
const ctx = () => netContext(stateRoot());

const SUB: Record<string, (args: string[]) => number | void> = {
  create(args) {
    const { v, b, pos } = parse(args, ["--subnet", "--gateway", "--opt", "-o", "--label", "--driver", "-d"], ["--internal"]);
    if (pos.length !== 1) usage(`"network create" requires exactly 1 argument.`);
    const driver = (v["--driver"] ?? v["-d"])?.at(-1) ?? "bridge";
    if (driver !== "bridge") usage(`network driver ${driver} is not supported: only bridge`);
    const n = createNetwork(ctx(), {
      name: pos[0]!, subnet: v["--subnet"]?.at(-1), gateway: v["--gateway"]?.at(-1), internal: b.has("--internal"),
      options: kv([...(v["--opt"] ?? []), ...(v["-o"] ?? [])]), labels: kv(v["--label"]),
    });
    out(n.id);
  },
  ls(args) {
    const { b } = parse(args, [], ["-q", "--quiet", "--no-trunc"]);
    const id = (s: string) => (b.has("--no-trunc") ? s : s.slice(0, 12));
    const rows = networkViews(stateRoot()).map((n) => [id(n.Id), n.Name, n.Driver, n.Scope]);
    if (b.has("-q") || b.has("--quiet")) return out(rows.map((r) => r[0]).join("\n"));
    out(table(["NETWORK ID", "NAME", "DRIVER", "SCOPE"], rows as string[][]));
  },
  inspect(args) {
    const { v, pos } = parse(args, ["-f", "--format"], []);
    if (pos.length === 0) usage(`"network inspect" requires at least 1 argument.`);
    const docs: object[] = [];
    let missing = 0;
    for (const name of pos) {
      const n = name === "bridge" ? loadNetwork(stateRoot(), "bridge") : loadNetwork(stateRoot(), name);
      if (n) docs.push(inspectNetwork(n));
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
  rm(args) {
    const { pos } = parse(args, [], ["-f", "--force"]);
    if (pos.length === 0) usage(`"network rm" requires at least 1 argument.`);
    let failed = 0;
    for (const name of pos) {
      try {
        removeNetwork(ctx(), name);
        out(name);
      } catch (e) {
        write(2, `Error response from daemon: ${(e as Error).message}\n`);
        failed++;
      }
    }
    return failed ? 1 : 0;
  },
  connect(args) {
    const { v, pos } = parse(args, ["--alias", "--ip"], []);
    if (pos.length !== 2) usage(`"network connect" requires exactly 2 arguments.`);
    const rec = findContainer(pos[1]!);
    connectContainer(ctx(), rec.id, rec.name, pos[0]!, v["--alias"] ?? [], v["--ip"]?.at(-1));
  },
  disconnect(args) {
    const { pos } = parse(args, [], ["-f", "--force"]);
    if (pos.length !== 2) usage(`"network disconnect" requires exactly 2 arguments.`);
    disconnectContainer(ctx(), findContainer(pos[1]!).id, pos[0]!);
  },
};

const network: Verb = async (args) => {
  const [sub, ...rest] = args;
  if (!sub || sub === "--help" || sub === "help") return out(HELP);
  const alias: Record<string, string> = { list: "ls", remove: "rm" };
  const fn = SUB[alias[sub] ?? sub];
  if (!fn) usage(`unknown network command: ${sub}`);
  return fn!(rest) ?? 0;
};
export default network;
