// Docker Engine API, networks: list, inspect, create, delete, connect,
// disconnect, over net/ (what `ctr network` uses), in the daemon's state root.
import { netContext } from "../../net/container.ts";
import { connectContainer, disconnectContainer } from "../../net/connect.ts";
import { NetError } from "../../net/errors.ts";
import { createNetwork, PREDEFINED, removeNetwork } from "../../net/networks.ts";
import { findNetworkView, networkViews, type NetworkView } from "../../net/view.ts";
import { findContainer } from "../../runtime/lifecycle.ts";
import { stateRoot } from "../../runtime/state/paths.ts";
import { ApiError, json, mapErrors, readJson, type Route } from "../route.ts";
import { labelsMatch, parseFilters } from "./_filters.ts";

/** net/'s refusals as Docker's statuses (Docker's own messages, matched here once). */
const STATUS: [RegExp, number][] = [
  [/not found|is not connected/, 404],
  [/already exists/, 409],
  [/pre-?defined|active endpoints|Pool overlaps/, 403],
  [/invalid|needs|not a host address|no network namespace/, 400],
];

function apiError(e: unknown): unknown {
  if (e instanceof ApiError) return e;
  const msg = (e as Error).message ?? "";
  if (e instanceof NetError) {
    const hit = STATUS.find(([re]) => re.test(msg));
    return hit ? new ApiError(hit[1], msg) : e;
  }
  if (/^No such container/.test(msg)) return new ApiError(404, msg);
  return e;
}

const mapped = <T>(fn: () => T | Promise<T>): Promise<T> => mapErrors(apiError, fn);

const ctx = () => netContext(stateRoot());

function find(ref: string): NetworkView {
  const n = findNetworkView(stateRoot(), ref);
  if (!n) throw new ApiError(404, `network ${ref} not found`);
  return n;
}

function list(req: Request): Response {
  const f = parseFilters(new URL(req.url).searchParams, ["name", "id", "driver", "label", "type", "scope", "dangling"]);
  const dangling = f.get("dangling")?.[0];
  if (dangling !== undefined && !["true", "false", "1", "0"].includes(dangling)) throw new ApiError(400, `invalid filter 'dangling=${dangling}'`);
  const out = networkViews(stateRoot()).filter((n) => {
    // a name matches as a substring, an id as a prefix, as Docker's
    if (f.has("name") && !f.get("name")!.some((s) => n.Name.includes(s))) return false;
    if (f.has("id") && !f.get("id")!.some((s) => n.Id.startsWith(s))) return false;
    if (f.has("driver") && !f.get("driver")!.includes(n.Driver)) return false;
    if (f.has("scope") && !f.get("scope")!.includes(n.Scope)) return false;
    if (f.has("type") && !f.get("type")!.includes(PREDEFINED.includes(n.Name) ? "builtin" : "custom")) return false;
    // dangling: a user network no container is on (the predefined ones never are)
    if (dangling !== undefined && (!PREDEFINED.includes(n.Name) && Object.keys(n.Containers).length === 0) !== (dangling === "true" || dangling === "1")) return false;
    return labelsMatch(f, n.Labels);
  });
  return json(out);
}

function inspect(_req: Request, m: RegExpExecArray): Response {
  return json(find(decodeURIComponent(m[1]!)));
}

interface CreateBody {
  Name?: unknown;
  Driver?: unknown;
  IPAM?: { Driver?: string; Config?: { Subnet?: string; Gateway?: string; IPRange?: string }[] | null; Options?: Record<string, string> | null } | null;
  Internal?: unknown;
  Labels?: unknown;
  Options?: unknown;
  EnableIPv6?: unknown;
  Ingress?: unknown;
}

/** Fields of Docker's NetworkCreateRequest; anything else is a client's mistake, not something to ignore. */
const CREATE_FIELDS = ["Name", "CheckDuplicate", "Driver", "Scope", "EnableIPv4", "EnableIPv6", "IPAM", "Internal", "Attachable", "Ingress", "ConfigOnly", "ConfigFrom", "Options", "Labels"];

function stringMap(v: unknown, what: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v) || Object.values(v).some((x) => typeof x !== "string")) throw new ApiError(400, `${what} must be an object of strings`);
  return v as Record<string, string>;
}

async function create(req: Request): Promise<Response> {
  const body = await readJson<CreateBody>(req);
  if (!body || typeof body !== "object" || Array.isArray(body)) throw new ApiError(400, "the request body must be a JSON object");
  const unknown = Object.keys(body).filter((k) => !CREATE_FIELDS.includes(k));
  if (unknown.length) throw new ApiError(400, `unknown field${unknown.length > 1 ? "s" : ""} in the request: ${unknown.join(", ")}`);
  if (typeof body.Name !== "string" || body.Name === "") throw new ApiError(400, "Name is required");
  const driver = body.Driver ?? "bridge";
  if (driver !== "bridge" && driver !== "") throw new ApiError(404, `plugin "${String(driver)}" not found: only the bridge driver is supported`);
  if (body.EnableIPv6 === true) throw new ApiError(400, "IPv6 networks are not supported");
  if (body.Ingress === true) throw new ApiError(400, "ingress networks are a swarm feature, not supported");
  const configs = body.IPAM?.Config ?? [];
  if (!Array.isArray(configs) || configs.length > 1) throw new ApiError(400, "IPAM.Config: at most one subnet (IPv4) is supported");
  const c = configs[0] ?? {};
  if (c.IPRange) throw new ApiError(400, "IPAM.Config.IPRange is not supported");
  const n = await mapped(() =>
    createNetwork(ctx(), {
      name: body.Name as string,
      subnet: c.Subnet || undefined,
      gateway: c.Gateway || undefined,
      internal: body.Internal === true,
      options: stringMap(body.Options, "Options"),
      labels: stringMap(body.Labels, "Labels"),
    }),
  );
  return json({ Id: n.id, Warning: "" }, 201);
}

async function remove(_req: Request, m: RegExpExecArray): Promise<Response> {
  const ref = decodeURIComponent(m[1]!);
  const n = find(ref);
  if (PREDEFINED.includes(n.Name)) throw new ApiError(403, `${n.Name} is a pre-defined network and cannot be removed`);
  await mapped(() => removeNetwork(ctx(), n.Name));
  return new Response(null, { status: 204 });
}

interface ConnectBody {
  Container?: unknown;
  EndpointConfig?: { Aliases?: string[] | null; IPAMConfig?: { IPv4Address?: string } | null } | null;
  Force?: unknown;
}

async function containerOf(req: Request): Promise<{ body: ConnectBody; id: string; name: string }> {
  const body = await readJson<ConnectBody>(req);
  if (!body || typeof body.Container !== "string" || body.Container === "") throw new ApiError(400, "Container is required");
  const rec = await mapped(() => findContainer(body.Container as string));
  return { body, id: rec.id, name: rec.name };
}

async function connect(req: Request, m: RegExpExecArray): Promise<Response> {
  const n = find(decodeURIComponent(m[1]!));
  if (n.Name === "host" || n.Name === "none") throw new ApiError(403, `container cannot be connected to the ${n.Name} network`);
  const { body, id, name } = await containerOf(req);
  const aliases = body.EndpointConfig?.Aliases ?? [];
  if (!Array.isArray(aliases) || aliases.some((a) => typeof a !== "string")) throw new ApiError(400, "EndpointConfig.Aliases must be a list of strings");
  await mapped(() => connectContainer(ctx(), id, name, n.Name, aliases, body.EndpointConfig?.IPAMConfig?.IPv4Address || undefined));
  return new Response(null, { status: 200 });
}

async function disconnect(req: Request, m: RegExpExecArray): Promise<Response> {
  const n = find(decodeURIComponent(m[1]!));
  const { id } = await containerOf(req);
  await mapped(() => disconnectContainer(ctx(), id, n.Name));
  return new Response(null, { status: 200 });
}

export const routes: Route[] = [
  { method: "GET", path: /^\/networks$/, handle: list },
  { method: "POST", path: /^\/networks\/create$/, handle: create },
  { method: "POST", path: /^\/networks\/([^/]+)\/connect$/, handle: connect },
  { method: "POST", path: /^\/networks\/([^/]+)\/disconnect$/, handle: disconnect },
  { method: "GET", path: /^\/networks\/([^/]+)$/, handle: inspect },
  { method: "DELETE", path: /^\/networks\/([^/]+)$/, handle: remove },
];
