import { checkpointContainer } from "../runtime/checkpoint.ts";
import { findContainer } from "../runtime/lifecycle.ts";
import { type Verb, out, parseSimple, usage } from "./_shared.ts";

const HELP = `Usage:  ctr checkpoint [OPTIONS] CONTAINER

Checkpoint a running container with CRIU: its whole process tree is dumped
into the container's directory (restore it with 'ctr restore CONTAINER'), or
with --export into one archive that 'ctr restore --import' brings back here
or on another host. Without --leave-running the container is stopped.

Needs CRIU 4.0 or newer (on PATH, --criu PATH, or [criu] path in ctr.toml).
No pre-dump (iterative migration): it needs soft-dirty page tracking, which
this kernel does not have; every checkpoint is one full dump.

Example:
  ctr checkpoint web && ctr restore web
  ctr checkpoint --export web.tar.zst web`;

const checkpoint: Verb = async (args) => {
  const { opts, positionals } = parseSimple(args, [
    { name: "leave-running", short: "R", help: "Leave the container running after the checkpoint" },
    { name: "export", short: "e", value: true, help: "Also write the checkpoint, the container's config and its rootfs changes to this archive (.tar.zst)" },
    { name: "criu", value: true, help: "The criu binary (or a wrapper that execs it)" },
  ], HELP);
  if (positionals.length !== 1) usage(`"checkpoint" requires exactly 1 argument.`);
  const rec = findContainer(positionals[0]!);
  const file = typeof opts.export === "string" ? opts.export : undefined;
  const archive = file === undefined ? undefined : await import("../runtime/checkpoint-archive.ts");
  // a bad export path is refused before anything is dumped
  if (file) archive!.checkExportPath(file);
  await checkpointContainer(rec, { leaveRunning: Boolean(opts["leave-running"]), criu: opts.criu as string | undefined });
  if (file) archive!.exportCheckpoint(rec.id, file);
  out(positionals[0]!);
};
export default checkpoint;
