import { readHierarchies } from "../cgroup/mode.ts";
import { hostMemory } from "../cgroup/stats/memory.ts";
import { findContainer } from "../runtime/lifecycle.ts";
import { liveState } from "../runtime/state/status.ts";
import { listIds, loadRecord, type ContainerRecord } from "../runtime/state/record.ts";
import { computeStats, type Sample, sample, type Stats } from "../runtime/stats.ts";
import { type Verb, out, parseSimple, write } from "./_shared.ts";
import { bytesSize, humanSize } from "./_units.ts";
import { formatRows } from "./_view.ts";

const HELP = `Usage:  ctr stats [OPTIONS] [CONTAINER...]

Display a live stream of container(s) resource usage statistics

Examples:
  ctr stats --no-stream
  ctr stats --no-stream --format '{{.Name}} {{.MemUsage}}' web`;

const DEFAULT_FORMAT = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";
const HEADERS = { ID: "CONTAINER ID", Container: "CONTAINER", Name: "NAME", CPUPerc: "CPU %", MemUsage: "MEM USAGE / LIMIT", MemPerc: "MEM %", NetIO: "NET I/O", BlockIO: "BLOCK I/O", PIDs: "PIDS" };
/** Docker samples once a second; CPU % is the use over that interval */
const INTERVAL_MS = 1000;

/** Docker's columns, keys in the order its `{{json .}}` prints them. */
function row(container: string, rec: ContainerRecord, s: Stats, noTrunc: boolean) {
  return {
    BlockIO: `${humanSize(s.blkRead)} / ${humanSize(s.blkWrite)}`,
    CPUPerc: `${s.cpuPercent.toFixed(2)}%`,
    Container: container,
    ID: noTrunc ? rec.id : rec.id.slice(0, 12),
    MemPerc: `${s.memPercent.toFixed(2)}%`,
    MemUsage: `${bytesSize(s.memUsage)} / ${bytesSize(s.memLimit)}`,
    Name: rec.name,
    NetIO: `${humanSize(s.netRx)} / ${humanSize(s.netTx)}`,
    PIDs: String(s.pids),
  };
}

const stats: Verb = async (args) => {
  const { opts, positionals } = parseSimple(args, [
    { name: "all", short: "a", help: "Show all containers (default shows just running)" },
    { name: "no-stream", help: "Disable streaming stats and only pull the first result" },
    { name: "no-trunc", help: "Do not truncate output" },
    { name: "format", value: true, help: "Format output using a Go template, or 'json'" },
    { name: "json", help: "Print one JSON object per container (same as --format json)" },
  ], HELP);
  const stream = !opts["no-stream"];
  const format = opts.json || opts.format === "json" ? "{{json .}}" : typeof opts.format === "string" ? opts.format : DEFAULT_FORMAT;
  // named containers must exist now (as with docker); the listing is taken again each round
  const named = positionals.map((ref) => ({ ref, rec: findContainer(ref) }));
  const list = () =>
    named.length ? named
    : listIds().map(loadRecord).filter((r) => r !== undefined)
        .filter((r) => opts.all || ["running", "paused"].includes(liveState(r).status))
        .sort((a, b) => b.created.localeCompare(a.created))
        .map((rec) => ({ ref: rec.id.slice(0, 12), rec }));
  const hs = readHierarchies();
  const memTotal = hostMemory();
  const prev = new Map<string, Sample>();
  for (const { rec } of list()) prev.set(rec.id, sample(rec, hs, memTotal));
  for (;;) {
    if (prev.size > 0 || stream) await Bun.sleep(INTERVAL_MS);
    const rows = list().map(({ ref, rec }) => {
      const cur = sample(rec, hs, memTotal);
      const s = computeStats(prev.get(rec.id), cur);
      prev.set(rec.id, cur);
      return row(ref, rec, s, Boolean(opts["no-trunc"]));
    });
    const text = formatRows(format, rows, HEADERS);
    if (!stream) return out(text);
    // redraw in place, as docker does
    write(1, `\x1b[2J\x1b[H${text}\n`);
  }
};
export default stats;
