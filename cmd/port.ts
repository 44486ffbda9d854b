// ctr port CONTAINER [PRIVATE_PORT[/PROTO]]: the container's published ports, as `docker port` prints them.
import { findContainer } from "../runtime/lifecycle.ts";
import { stateRoot } from "../runtime/state/paths.ts";
import { EngineError } from "../runtime/errors.ts";
import { portLines, publishedPorts } from "../net/published.ts";
import { type Verb, out, parseSimple, usage } from "./_shared.ts";

const HELP = `Usage:  ctr port CONTAINER [PRIVATE_PORT[/PROTO]]

List port mappings or a specific mapping for the container

Example:
  ctr port web 80/tcp`;

const port: Verb = async (args) => {
  const { positionals } = parseSimple(args, [], HELP);
  if (positionals.length < 1 || positionals.length > 2) usage(`"port" requires at least 1 and at most 2 arguments.`);
  const rec = findContainer(positionals[0]!);
  const bindings = publishedPorts(stateRoot(), rec.id);
  if (positionals[1] === undefined) return out(portLines(bindings).join("\n"));
  const m = /^(\d{1,5})(?:\/(tcp|udp))?$/.exec(positionals[1]);
  if (!m) usage(`invalid port ${JSON.stringify(positionals[1])}: expected PORT or PORT/tcp|udp`);
  const lines = portLines(bindings, { port: Number(m![1]), protocol: m![2] });
  if (lines.length === 0) throw new EngineError(`No public port '${m![1]}/${m![2] ?? "tcp"}' published for ${positionals[0]}`, 1);
  out(lines.join("\n"));
};
export default port;
