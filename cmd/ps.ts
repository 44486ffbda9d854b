import { listIds, loadRecord } from "../runtime/state/record.ts";
import { type Verb, out, parseSimple } from "./_shared.ts";
import { formatRows, psRow, table } from "./_view.ts";

const HELP = `Usage:  ctr ps [OPTIONS]

List containers

Example:
  ctr ps -a --format '{{.Names}}\\t{{.Status}}'`;

const ps: Verb = async (args) => {
  const { opts } = parseSimple(args, [
    { name: "all", short: "a", help: "Show all containers (default shows just running)" },
    { name: "quiet", short: "q", help: "Only display container IDs" },
    { name: "no-trunc", help: "Don't truncate output" },
    { name: "format", value: true, help: "Format output using a Go template, or 'json'" },
    { name: "json", help: "Print the list as JSON" },
  ], HELP);
  const recs = listIds().map(loadRecord).filter((r) => r !== undefined);
  recs.sort((a, b) => b.created.localeCompare(a.created));
  let rows = recs.map((r) => ({ rec: r, row: psRow(r) }));
  if (!opts.all) rows = rows.filter((r) => r.row.running);
  if (opts["no-trunc"]) for (const r of rows) r.row.ID = r.rec.id;
  if (opts.quiet) return out(rows.map((r) => r.row.ID).join("\n") || "");
  if (opts.json || opts.format === "json") return out(rows.map((r) => JSON.stringify(r.row)).join("\n"));
  if (typeof opts.format === "string") return out(formatRows(opts.format, rows.map((r) => r.row)));
  out(table(["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"],
    rows.map(({ row }) => [row.ID, row.Image, row.Command, row.RunningFor, row.Status, row.Ports, row.Names])));
};
export default ps;
