import { findContainer } from "../runtime/lifecycle.ts";
import { restoreInPlace } from "../runtime/restore.ts";
import { type Verb, out, parseSimple, usage } from "./_shared.ts";

const HELP = `Usage:  ctr restore [OPTIONS] CONTAINER
        ctr restore --import FILE [--name NAME]

Restore a checkpointed container with CRIU: its processes come back with the
same PIDs inside, under a new monitor, with their log continuing. With
--import, a container from an archive made by 'ctr checkpoint --export'
(here or on another host) is created and restored.

Example:
  ctr restore web
  ctr restore --import web.tar.zst --name web2`;

const restore: Verb = async (args) => {
  const { opts, positionals } = parseSimple(args, [
    { name: "import", short: "i", value: true, help: "Restore from an archive made by checkpoint --export" },
    { name: "name", short: "n", value: true, help: "Name of the container restored from --import" },
    { name: "criu", value: true, help: "The criu binary (or a wrapper that execs it)" },
  ], HELP);
  const criu = opts.criu as string | undefined;
  const file = typeof opts.import === "string" ? opts.import : positionals[0]?.endsWith(".tar.zst") ? positionals[0] : undefined;
  if (file) {
    if (positionals.length > (opts.import ? 0 : 1)) usage(`"restore --import" takes no container argument`);
    const { importCheckpoint } = await import("../runtime/checkpoint-archive.ts");
    const rec = await importCheckpoint(file, { name: opts.name as string | undefined, criu });
    out(rec.id);
    return;
  }
  if (positionals.length !== 1) usage(`"restore" requires exactly 1 argument.`);
  if (opts.name) usage("--name is for --import: a checkpoint restored in place keeps its container's name");
  await restoreInPlace(findContainer(positionals[0]!), { criu });
  out(positionals[0]!);
};
export default restore;
