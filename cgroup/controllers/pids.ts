import type { ResourceSpec } from "../../spec/types.ts";
import { type Limit, put } from "./write.ts";

export function pidsLimits(r: ResourceSpec): Limit[] {
  if (r.pidsLimit === undefined) return [];
  return [put("pids.max", r.pidsLimit <= 0 ? "max" : r.pidsLimit)];
}
