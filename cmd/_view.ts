// How containers are shown in listings: Docker's columns and wording.
import { liveState } from "../runtime/state/status.ts";
import type { ContainerRecord } from "../runtime/state/record.ts";
import { stateRoot } from "../runtime/state/paths.ts";
import { formatPorts, publishedPorts } from "../net/published.ts";
import { expandEscapes, renderTemplate } from "./_template.ts";

export function ago(iso: string | undefined): string {
  if (!iso) return "";
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 1) return "Less than a second";
  if (s < 60) return `${Math.floor(s)} second${Math.floor(s) === 1 ? "" : "s"}`;
  if (s < 3600) return `${Math.floor(s / 60)} minute${Math.floor(s / 60) === 1 ? "" : "s"}`;
  if (s < 86400) return `${Math.floor(s / 3600)} hour${Math.floor(s / 3600) === 1 ? "" : "s"}`;
  return `${Math.floor(s / 86400)} days`;
}

/** A time as Docker's listings print CreatedAt: "2026-01-02 03:04:05 +0000 UTC" (to the second). */
export function listedTime(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? "" : `${new Date(Math.floor(t / 1000) * 1000).toISOString().replace("T", " ").replace(".000Z", "")} +0000 UTC`;
}

export type PsRow = ReturnType<typeof psRow>;

/** A container directory without a record (runtime/state/record.ts listContainers): Docker's word for what it could not finish, "Dead". */
export function deadRow(id: string, created: string): PsRow {
  return {
    ID: id.slice(0, 12), Image: "", Command: '""', CreatedAt: created, RunningFor: `${ago(created)} ago`, Ports: "",
    State: "dead", Status: "Dead", Names: "", Labels: "", Pid: 0, running: false,
  };
}

export function psRow(rec: ContainerRecord) {
  const live = liveState(rec);
  const st = live.status;
  const status =
    st === "running" ? `Up ${ago(live.init?.startedAt)}`
    : st === "paused" ? `Up ${ago(live.init?.startedAt)} (Paused)`
    : st === "exited" ? `Exited (${live.exit?.exitCode}) ${ago(live.exit?.finishedAt)} ago`
    : st === "restarting" ? `Restarting (${live.exit?.exitCode}) ${ago(live.exit?.finishedAt)} ago`
    : st === "creating" ? "Created"
    : st === "created" ? "Created"
    : "Dead";
  const running = st === "running" || st === "paused" || st === "restarting";
  const cmd = rec.argv.map((a) => (a.includes(" ") ? JSON.stringify(a) : a)).join(" ");
  return {
    ID: rec.id.slice(0, 12),
    Image: rec.spec.image ?? rec.rootfs,
    Command: JSON.stringify(cmd.length > 20 ? `${cmd.slice(0, 19)}…` : cmd),
    CreatedAt: rec.created,
    // to the second, as the API's Created (and so `ctr -H ... ps`) has it
    RunningFor: `${ago(new Date(Math.floor(Date.parse(rec.created) / 1000) * 1000).toISOString())} ago`,
    // Docker lists ports of running containers: the published, then the exposed ones
    Ports: running ? formatPorts(publishedPorts(stateRoot(), rec.id), exposedPorts(rec)) : "",
    State: st === "creating" ? "created" : st,
    Status: status,
    Names: rec.name,
    Labels: Object.entries(rec.spec.labels).map(([k, v]) => `${k}=${v}`).join(","),
    Pid: live.pid,
    running,
  };
}

/** The image's ExposedPorts and --expose ("80/tcp"). */
export function exposedPorts(rec: ContainerRecord): string[] {
  return [...new Set([...(rec.image?.exposedPorts ?? []), ...(rec.spec.network.expose ?? [])])];
}

/** A table with Docker's spacing: columns padded to the widest cell plus 3. */
export function table(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]! + 3))).join("").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** --format: Go templates, with Docker's `table` prefix and \t escapes; headers name columns Docker titles its own way. */
export function formatRows(format: string, rows: object[], headers: Record<string, string> = {}): string {
  const f = expandEscapes(format);
  if (f.startsWith("table")) {
    const tpl = f.slice(5).trim();
    const cells = rows.map((r) => renderTemplate(tpl, r).split("\t"));
    const title = (k: string) => headers[k] ?? k.replace(/([a-z])([A-Z])/g, "$1 $2").toUpperCase();
    // every field exists on the header row (the template looks fields up with Object.hasOwn)
    const titles = new Proxy({}, {
      get: (_t, k) => title(String(k)),
      has: () => true,
      getOwnPropertyDescriptor: (_t, k) => ({ value: title(String(k)), enumerable: true, configurable: true }),
    });
    const header = renderTemplate(tpl, titles).split("\t");
    return table(header, cells);
  }
  return rows.map((r) => renderTemplate(f, r)).join("\n");
}
