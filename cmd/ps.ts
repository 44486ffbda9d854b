import { listContainers } from "../runtime/state/record.ts";
import { type Verb, out, parseSimple } from "./_shared.ts";
import { deadRow, formatRows, type PsRow, psRow, table } from "./_view.ts";

export const PS_HELP = `Usage:  ctr ps [OPTIONS]

List containers

Example:
  ctr ps -a --format '{{.Names}}\\t{{.Status}}'`;

export const PS_FLAGS = [
  { name: "all", short: "a", help: "Show all containers (default shows just running)" },
  { name: "quiet", short: "q", help: "Only display container IDs" },
  { name: "no-trunc", help: "Don't truncate output" },
  { name: "format", value: true, help: "Format output using a Go template, or 'json'" },
  { name: "json", help: "Print the list as JSON" },
];

const ps: Verb = async (args) => {
  const { opts } = parseSimple(args, PS_FLAGS, PS_HELP);
  let rows = listContainers().map((c) => ({ id: c.id, row: c.rec ? psRow(c.rec) : deadRow(c.id, c.created) }));
  if (!opts.all) rows = rows.filter((r) => r.row.running);
  printPs(rows, opts);
};
export default ps;

/** The listing, newest first, as `docker ps` prints it (local and through a daemon). */
export function printPs(rows: { id: string; row: PsRow }[], opts: Record<string, string | boolean>): void {
  if (opts["no-trunc"]) for (const r of rows) r.row.ID = r.id;
  if (opts.quiet) return out(rows.map((r) => r.row.ID).join("\n") || "");
  if (opts.json || opts.format === "json") return out(rows.map((r) => JSON.stringify(r.row)).join("\n"));
  if (typeof opts.format === "string") return out(formatRows(opts.format, rows.map((r) => r.row)));
  out(table(["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"],
    rows.map(({ row }) => [row.ID, row.Image, row.Command, row.RunningFor, row.Status, row.Ports, row.Names])));
}
