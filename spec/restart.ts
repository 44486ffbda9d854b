// Restart policies, as Docker's --restart.

import { SpecError, suggestion } from "./errors.ts";
import type { RestartPolicy } from "./types.ts";

const POLICIES = ["no", "always", "unless-stopped", "on-failure"] as const;

/** "no" | "always" | "unless-stopped" | "on-failure[:N]" (N = max retries, 0 = unlimited). */
export function parseRestart(s: string): RestartPolicy {
  const [rawName = "", count, ...extra] = s.trim().split(":");
  const name = POLICIES.find((p) => p === rawName);
  if (name === undefined || extra.length > 0) {
    throw new SpecError(
      `invalid restart policy ${JSON.stringify(s)}: use no, always, unless-stopped or on-failure[:max-retries]${suggestion(rawName, POLICIES)}`,
    );
  }
  if (count === undefined) return { name, maxRetries: 0 };
  if (name !== "on-failure") {
    throw new SpecError(`invalid restart policy ${JSON.stringify(s)}: maximum retry count cannot be used with restart policy '${name}'`);
  }
  if (!/^\d+$/.test(count)) {
    throw new SpecError(`invalid restart policy ${JSON.stringify(s)}: maximum retry count must be a whole number >= 0`);
  }
  return { name, maxRetries: Number(count) };
}
