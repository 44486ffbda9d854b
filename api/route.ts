// The contract between the daemon's HTTP server (api/server.ts) and the
// handlers of each API area (api/routes/*.ts): a handler takes a standard
// Request and returns a standard Response, so handlers know nothing about
// sockets, TLS or HTTP/1.1 framing, and can be tested with any server.
//
// Paths are matched after the optional version prefix (/v1.45) is stripped.
// Docker's image names contain slashes (/images/library/busybox:latest/json),
// so a route is a regular expression whose groups are the parameters.

export interface Route {
  method: "GET" | "POST" | "PUT" | "DELETE" | "HEAD";
  path: RegExp;
  handle(req: Request, m: RegExpExecArray): Response | Promise<Response>;
}

/** The content type of ctr's own create body ({argv, cwd, env, consoleSize}), beside Docker's JSON. */
export const CTR_RUN_ARGV = "application/vnd.ctr.run-argv+json";

/** An error the client caused or must see: Docker's `{"message": ...}` with a status code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

/** Docker's body for every error status. */
export function errorResponse(status: number, message: string): Response {
  return json({ message }, status);
}

/** The versioned prefix Docker clients put on every path (/v1.45/containers/json). */
export const VERSION_PREFIX = /^\/v1\.\d+(?=\/)/;

/** Finds the route for a request; 404 for an unknown path, 405 for a known path with another method. */
export function match(routes: Route[], method: string, path: string): { route: Route; m: RegExpExecArray } | ApiError {
  const p = path.replace(VERSION_PREFIX, "");
  let pathKnown = false;
  for (const route of routes) {
    const m = route.path.exec(p);
    if (!m) continue;
    pathKnown = true;
    if (route.method === method || (method === "HEAD" && route.method === "GET")) return { route, m };
  }
  return pathKnown ? new ApiError(405, `method ${method} not allowed for ${p}`) : new ApiError(404, `page not found`);
}

/** Runs fn, turning what it throws into an ApiError where `map` knows the status (each area maps its own errors). */
export async function mapErrors<T>(map: (e: unknown) => unknown, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw map(e);
  }
}

/** A query flag as Docker reads it: 1/true/True set, absent/0/false unset. */
export function queryBool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v !== null && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

/** Reads a JSON body with a size cap; malformed JSON is a 400, as Docker's. */
export async function readJson<T>(req: Request, maxBytes = 1 << 20): Promise<T> {
  const text = await req.text();
  if (text.length > maxBytes) throw new ApiError(413, `request body exceeds ${maxBytes} bytes`);
  if (text.trim() === "") return {} as T;
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new ApiError(400, `invalid JSON: ${(e as Error).message}`);
  }
}
