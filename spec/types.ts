// The one validated description of a container. The TOML file and the CLI
// flags (and later the OCI config.json and the HTTP API) all produce this;
// everything below spec/ consumes only this. Plain data, JSON-serialisable.

export type NamespaceKind = "pid" | "mount" | "uts" | "ipc" | "net" | "user" | "cgroup";

/** How one namespace is obtained: a new one, the host's, or another container's. */
export type NamespaceMode =
  | { mode: "private" }
  | { mode: "host" }
  | { mode: "container"; container: string }
  | { mode: "path"; path: string };

export interface MountSpec {
  type: "bind" | "volume" | "tmpfs";
  /** host path (bind), volume name (volume); unused for tmpfs */
  source?: string;
  /** absolute path inside the container */
  target: string;
  readonly: boolean;
  /** mount options: for tmpfs e.g. ["size=64m", "mode=1777"]; for bind e.g. ["rbind", "nosuid"] */
  options: string[];
}

export interface PortSpec {
  hostIp?: string;
  /** 0 = any free port (Docker's "-p 80") */
  hostPort: number;
  containerPort: number;
  protocol: "tcp" | "udp";
}

export interface RlimitSpec {
  /** RLIMIT_* name in Docker's spelling: nofile, nproc, core, memlock, ... */
  name: string;
  /** -1 = unlimited (RLIM_INFINITY) */
  soft: number;
  hard: number;
}

export interface RestartPolicy {
  name: "no" | "on-failure" | "always" | "unless-stopped";
  /** only for on-failure; 0 = unlimited */
  maxRetries: number;
}

export interface ResourceSpec {
  /** bytes; undefined = unlimited */
  memory?: number;
  /** bytes of memory+swap; -1 = unlimited swap */
  memorySwap?: number;
  memoryReservation?: number;
  kernelMemory?: number;
  /** fractional CPUs, e.g. 1.5 */
  cpus?: number;
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  pidsLimit?: number;
  blkioWeight?: number;
  deviceReadBps?: { path: string; rate: number }[];
  deviceWriteBps?: { path: string; rate: number }[];
  /** extra device cgroup rules ("c 10:229 rwm"), Docker's --device-cgroup-rule */
  deviceCgroupRules?: string[];
  /** every device allowed: set by the runtime for --privileged, not by users */
  devicesAllowAll?: boolean;
}

export interface NetworkSpec {
  /**
   * "bridge" | "host" | "none" | "container:<name>" | "ns:<path>" (join the
   * network namespace at that path, Podman's spelling) | a user-defined
   * network name. Kept in step with namespaces.net by spec/namespaces.ts.
   */
  mode: string;
  /** extra user-defined networks to connect to */
  networks: string[];
  ports: PortSpec[];
  /** -P: every exposed port (the image's and --expose) on a free host port */
  publishAll?: boolean;
  /** --expose: ports as "80/tcp", added to the image's ExposedPorts */
  expose?: string[];
  dns: string[];
  dnsSearch: string[];
  aliases: string[];
  extraHosts: string[];
  /** fixed address on the first network, if asked for */
  ip?: string;
  mac?: string;
}

export interface SecuritySpec {
  privileged: boolean;
  capAdd: string[];
  capDrop: string[];
  /** "default" | "unconfined" | path to a Docker-format JSON profile */
  seccomp: string;
  noNewPrivileges: boolean;
}

export interface ContainerSpec {
  name?: string;
  /** exactly one of image and rootfs is set */
  image?: string;
  /** host directory holding the root filesystem */
  rootfs?: string;
  /** when to pull the image: undefined = "missing", as Docker */
  pull?: "missing" | "always" | "never";
  /** undefined = take from the image (or none, for a rootfs) */
  entrypoint?: string[];
  command?: string[];
  env: Record<string, string>;
  workdir?: string;
  /** "uid", "uid:gid", "name", "name:group" */
  user?: string;
  groupAdd: string[];
  hostname?: string;
  domainname?: string;
  readOnly: boolean;
  tty: boolean;
  interactive: boolean;
  detach: boolean;
  autoRemove: boolean;
  resources: ResourceSpec;
  network: NetworkSpec;
  mounts: MountSpec[];
  security: SecuritySpec;
  namespaces: Partial<Record<NamespaceKind, NamespaceMode>>;
  /** user namespace remapping: undefined = off; "default" = from /etc/subuid or the documented range */
  usernsRemap?: string;
  restart: RestartPolicy;
  labels: Record<string, string>;
  sysctls: Record<string, string>;
  ulimits: RlimitSpec[];
  /** signal name used by `stop`, e.g. "SIGTERM" */
  stopSignal: string;
  /** seconds `stop` waits before SIGKILL */
  stopTimeout: number;
  cgroupParent?: string;
  /** host devices given to the container (--device): a node made inside and an allow-list rule */
  devices?: DeviceMapping[];
  init: boolean;
  /** set only for a container from an OCI bundle (spec/oci.ts): what config.json says that Docker's flags cannot */
  oci?: OciExtras;
}

/** A mount exactly as config.json gives it (runtime-spec config.md#mounts). */
export interface OciMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

/** Docker's --device HOST[:CONTAINER][:PERMISSIONS] */
export interface DeviceMapping {
  hostPath: string;
  containerPath: string;
  /** a subset of "rwm" */
  permissions: string;
}

export interface OciDevice {
  path: string;
  type: "c" | "b" | "u" | "p";
  major: number;
  minor: number;
  fileMode: number;
  uid: number;
  gid: number;
}

export interface OciExtras {
  /** the bundle directory, absolute */
  bundle: string;
  /** every mount of the container, in order: replaces Docker's default set and `mounts` */
  mounts: OciMount[];
  maskedPaths: string[];
  readonlyPaths: string[];
  /** "" = rslave, as runc */
  rootfsPropagation: string;
  /** the process environment exactly as given (no PATH or HOSTNAME added) */
  exactEnv: boolean;
  uid: number;
  gid: number;
  additionalGids: number[];
  devices: OciDevice[];
  /** relative to each hierarchy's root; undefined = ctr's default place */
  cgroupsPath?: string;
  annotations: Record<string, string>;
  /** "containerID:hostID:size" lines */
  uidMappings: string[];
  gidMappings: string[];
  /** lifecycle hooks the runtime runs itself (runtime-spec config.md#posix-platform-hooks) */
  hooks?: Partial<Record<OciHookKind, OciHook[]>>;
}

/** The runtime-spec version ctr implements (state JSON, features). */
export const OCI_VERSION = "1.0.2";

/** Every POSIX hook kind of the runtime-spec: prestart, createRuntime, poststart, poststop run from TypeScript; createContainer and startContainer by the init itself (the executor's HOOK step). */
export const HOOK_KINDS = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"] as const;
export type OciHookKind = (typeof HOOK_KINDS)[number];

export interface OciHook {
  path: string;
  args?: string[];
  env?: string[];
  /** seconds */
  timeout?: number;
}

/** A spec with every field at its Docker default. */
export function defaultSpec(): ContainerSpec {
  return {
    env: {},
    groupAdd: [],
    readOnly: false,
    tty: false,
    interactive: false,
    detach: false,
    autoRemove: false,
    resources: {},
    network: { mode: "bridge", networks: [], ports: [], dns: [], dnsSearch: [], aliases: [], extraHosts: [] },
    mounts: [],
    security: { privileged: false, capAdd: [], capDrop: [], seccomp: "default", noNewPrivileges: true },
    namespaces: {},
    restart: { name: "no", maxRetries: 0 },
    labels: {},
    sysctls: {},
    ulimits: [],
    stopSignal: "SIGTERM",
    stopTimeout: 10,
    init: false,
  };
}
