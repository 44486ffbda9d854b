// /_ping, /version, /info: what a Docker client asks first (the CLI reads
// the API version from /_ping's API-Version header and speaks that).
import { cpus, hostname, totalmem } from "node:os";
import { kernelFeatures } from "../../runtime/features.ts";
import { dataRoot } from "../../runtime/state/paths.ts";
import { listIds, loadRecord } from "../../runtime/state/record.ts";
import { liveState } from "../../runtime/state/status.ts";
import { readIndex } from "../../image/store.ts";
import { json, type Route } from "../route.ts";
import { API_VERSION, MIN_API_VERSION } from "../server.ts";

declare const CTR_VERSION: string, CTR_COMMIT: string, CTR_BUN_VERSION: string;
export const VERSION = typeof CTR_VERSION === "string" ? CTR_VERSION : "dev";
const COMMIT = typeof CTR_COMMIT === "string" ? CTR_COMMIT : "dev";
const BUN = typeof CTR_BUN_VERSION === "string" ? CTR_BUN_VERSION : Bun.version;
const ARCH: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386" };

const ping = () =>
  new Response("OK", {
    headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-cache, no-store, must-revalidate", Pragma: "no-cache" },
  });

function version() {
  const f = kernelFeatures();
  const details = { ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, GitCommit: COMMIT, GoVersion: `bun${BUN}`, Os: "linux", Arch: ARCH[process.arch] ?? process.arch, KernelVersion: f.kernel };
  return {
    Platform: { Name: "ctr" },
    Components: [{ Name: "Engine", Version: VERSION, Details: details }],
    Version: VERSION,
    ...details,
    BuildTime: "",
  };
}

function info() {
  const f = kernelFeatures();
  const counts = { running: 0, paused: 0, stopped: 0 };
  const ids = listIds();
  for (const id of ids) {
    const rec = loadRecord(id);
    if (!rec) continue;
    const st = liveState(rec).status;
    if (st === "running" || st === "restarting") counts.running++;
    else if (st === "paused") counts.paused++;
    else counts.stopped++;
  }
  let images = 0;
  try {
    images = Object.keys(readIndex().images).length;
  } catch {}
  return {
    ID: "",
    Containers: ids.length,
    ContainersRunning: counts.running,
    ContainersPaused: counts.paused,
    ContainersStopped: counts.stopped,
    Images: images,
    Driver: "overlay",
    DriverStatus: [],
    Plugins: { Volume: [], Network: ["bridge", "host", "none"], Authorization: null, Log: ["json-file"] },
    MemoryLimit: true,
    SwapLimit: true,
    CpuCfsPeriod: true,
    CpuCfsQuota: true,
    CPUShares: true,
    CPUSet: true,
    PidsLimit: true,
    IPv4Forwarding: true,
    Debug: process.env.CTR_LOG_LEVEL === "debug",
    NFd: 0,
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: "json-file",
    CgroupDriver: "cgroupfs",
    CgroupVersion: f.cgroupMode === "v2" ? "2" : "1",
    KernelVersion: f.kernel,
    OperatingSystem: "linux",
    OSType: "linux",
    Architecture: process.arch === "x64" ? "x86_64" : process.arch,
    NCPU: cpus().length,
    MemTotal: totalmem(),
    IndexServerAddress: "https://index.docker.io/v1/",
    RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: [], Mirrors: [] },
    DockerRootDir: dataRoot(),
    Name: hostname(),
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: VERSION,
    Runtimes: { ctr: { path: "ctr" } },
    DefaultRuntime: "ctr",
    LiveRestoreEnabled: true,
    Isolation: "",
    InitBinary: "",
    SecurityOptions: f.seccomp ? ["name=seccomp,profile=builtin"] : [],
    Warnings: [],
  };
}

export const routes: Route[] = [
  { method: "GET", path: /^\/_ping$/, handle: ping },
  { method: "HEAD", path: /^\/_ping$/, handle: ping },
  { method: "GET", path: /^\/version$/, handle: () => json(version()) },
  { method: "GET", path: /^\/info$/, handle: () => json(info()) },
];
