// cpu: shares/quota on v1, weight/max on v2 (OCI's shares->weight conversion).
import type { ResourceSpec } from "../../spec/types.ts";
import { type Limit, put } from "./write.ts";

const DEFAULT_PERIOD = 100000;

export function quota(r: ResourceSpec): { quota: number; period: number } | undefined {
  const period = r.cpuPeriod ?? DEFAULT_PERIOD;
  if (r.cpus !== undefined) return { quota: Math.round(r.cpus * period), period };
  if (r.cpuQuota !== undefined) return { quota: r.cpuQuota, period };
  return undefined;
}

/** OCI runtime spec: weight = 1 + ((shares - 2) * 9999) / 262142 */
export const sharesToWeight = (shares: number) => Math.floor(1 + ((shares - 2) * 9999) / 262142);

export function cpuLimits(r: ResourceSpec, version: 1 | 2): Limit[] {
  const q = quota(r);
  const out: Limit[] = [];
  if (version === 1) {
    if (r.cpuShares !== undefined) out.push(put("cpu.shares", r.cpuShares));
    if (q) out.push(put("cpu.cfs_period_us", q.period), put("cpu.cfs_quota_us", q.quota));
  } else {
    if (r.cpuShares !== undefined) out.push(put("cpu.weight", sharesToWeight(r.cpuShares)));
    if (q) out.push(put("cpu.max", `${q.quota} ${q.period}`));
  }
  return out;
}

export function cpusetLimits(r: ResourceSpec): Limit[] {
  const out: Limit[] = [];
  if (r.cpusetCpus !== undefined) out.push(put("cpuset.cpus", r.cpusetCpus));
  if (r.cpusetMems !== undefined) out.push(put("cpuset.mems", r.cpusetMems));
  return out;
}
