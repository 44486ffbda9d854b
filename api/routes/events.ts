// Docker Engine API, GET /events: what the journal (runtime/state/events.ts)
// holds since `since`, then what is appended to it, until `until` or until
// the client goes away. Every actor (CLI, daemon, monitor) writes the
// journal, so the stream shows actions taken outside the daemon too.
//
// Following is a poll of the file (every FOLLOW_MS): writers are other
// processes, and a poll of one small stat is cheaper than anything cleverer.
import { type EngineEvent, nanoOf, nowNano, readJournal, readSince } from "../../runtime/state/events.ts";
import { ApiError, type Route } from "../route.ts";
import { type Filters, labelsMatch, parseFilters, parseTimestamp } from "./_filters.ts";

const FOLLOW_MS = 100;
const enc = new TextEncoder();

/** Docker's event filters: each key given must match one of its values. */
function matches(f: Filters, e: EngineEvent): boolean {
  const a = e.Actor.Attributes;
  const any = (key: string, test: (v: string) => boolean) => !f.has(key) || f.get(key)!.some(test);
  return (
    any("type", (v) => v === e.Type) &&
    any("event", (v) => v === e.Action || e.Action.startsWith(`${v}:`)) &&
    any("scope", (v) => v === e.scope) &&
    any("container", (v) => e.Type === "container" && (e.Actor.ID.startsWith(v) || a.name === v)) &&
    any("image", (v) => (e.Type === "image" && (e.Actor.ID === v || a.name === v)) || (e.Type === "container" && a.image === v)) &&
    any("network", (v) => e.Type === "network" && (e.Actor.ID.startsWith(v) || a.name === v)) &&
    labelsMatch(f, a)
  );
}

function parse(line: string): EngineEvent | undefined {
  try {
    const e = JSON.parse(line) as EngineEvent;
    return e && typeof e.Type === "string" && e.Actor && typeof e.Actor.ID === "string" ? e : undefined;
  } catch {
    return undefined; // a torn or foreign line: not an event
  }
}

function events(req: Request): Response {
  const q = new URL(req.url).searchParams;
  const f = parseFilters(q, ["type", "event", "container", "image", "network", "label", "scope", "daemon", "volume", "plugin", "node", "service", "secret", "config"]);
  const sinceText = q.get("since");
  const untilText = q.get("until");
  const now = nowNano();
  const since = sinceText ? parseTimestamp(sinceText, "since") : undefined;
  const until = untilText ? parseTimestamp(untilText, "until") : undefined;
  if (since !== undefined && until !== undefined && until < since) throw new ApiError(400, "until must not be before since");
  const select = (lines: string[], from: bigint | undefined) =>
    lines.filter((l) => {
      const t = nanoOf(l);
      const e = parse(l);
      return e !== undefined && (from === undefined || t >= from) && (until === undefined || t <= until) && matches(f, e);
    });

  let timer: ReturnType<typeof setInterval> | undefined;
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      const send = (lines: string[]) => {
        for (const l of lines) c.enqueue(enc.encode(`${l}\n`));
      };
      const close = () => {
        stop();
        try {
          c.close();
        } catch {}
      };
      const journal = readJournal();
      // replayed only when asked for (since), as Docker's
      if (since !== undefined) send(select(journal.lines, since));
      if (until !== undefined && until <= now) return close();
      let cursor = journal.cursor;
      timer = setInterval(() => {
        try {
          const r = readSince(cursor);
          cursor = r.cursor;
          send(select(r.lines, since));
          if (until !== undefined && nowNano() >= until) close();
        } catch {
          close(); // the client went away mid-write
        }
      }, FOLLOW_MS);
      req.signal?.addEventListener("abort", stop);
    },
    cancel: stop,
  });
  return new Response(body, { headers: { "Content-Type": "application/json" } });
}

export const routes: Route[] = [{ method: "GET", path: /^\/events$/, handle: events }];
