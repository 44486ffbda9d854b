// OCI and Docker schema 2 manifests, indexes and image configs: parsed and
// checked into the few fields ctr uses. Pure.

export const MT = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string; variant?: string };
  annotations?: Record<string, string>;
}

export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface Index {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

export interface ImageConfig {
  architecture: string;
  os: string;
  created?: string;
  author?: string;
  config?: {
    User?: string;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    Labels?: Record<string, string> | null;
    StopSignal?: string;
    ExposedPorts?: Record<string, object>;
    Volumes?: Record<string, object>;
  };
  rootfs: { type: "layers"; diff_ids: string[] };
  history?: { created?: string; created_by?: string; empty_layer?: boolean; comment?: string }[];
}

export class ManifestError extends Error {
  override name = "EngineError";
  readonly exitCode = 125;
}

export const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

function descriptor(d: unknown, what: string): Descriptor {
  const x = d as Descriptor;
  if (!x || typeof x !== "object" || typeof x.digest !== "string" || !DIGEST_RE.test(x.digest)) throw new ManifestError(`${what}: missing or unsupported digest (sha256 only)`);
  if (typeof x.size !== "number" || x.size < 0) throw new ManifestError(`${what} ${x.digest}: missing size`);
  return x;
}

function json(bytes: Uint8Array, what: string): Record<string, unknown> {
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes));
    if (v && typeof v === "object") return v;
  } catch {}
  throw new ManifestError(`${what} is not valid JSON`);
}

/** A manifest or an index, told apart by mediaType or shape. */
export function parseManifestOrIndex(bytes: Uint8Array): { kind: "manifest"; m: Manifest } | { kind: "index"; i: Index } {
  const v = json(bytes, "manifest");
  if (v.schemaVersion !== 2) throw new ManifestError(`manifest schemaVersion ${String(v.schemaVersion)} is not supported (2 only)`);
  if (Array.isArray(v.manifests) || v.mediaType === MT.ociIndex || v.mediaType === MT.dockerList) {
    const manifests = ((v.manifests as unknown[]) ?? []).map((d, n) => descriptor(d, `index entry ${n}`));
    return { kind: "index", i: { schemaVersion: 2, mediaType: v.mediaType as string, manifests } };
  }
  const config = descriptor(v.config, "manifest config");
  if (!Array.isArray(v.layers)) throw new ManifestError("manifest has no layers list");
  const layers = v.layers.map((d, n) => descriptor(d, `layer ${n}`));
  return { kind: "manifest", m: { ...(v as object), schemaVersion: 2, config, layers } as Manifest };
}

export function parseConfig(bytes: Uint8Array): ImageConfig {
  const v = json(bytes, "image config") as unknown as ImageConfig;
  if (!v.rootfs || !Array.isArray(v.rootfs.diff_ids) || v.rootfs.diff_ids.some((d) => !DIGEST_RE.test(d))) {
    throw new ManifestError("image config: rootfs.diff_ids missing or not sha256 digests");
  }
  return v;
}

/** Go's names for this machine, as image platforms use them. */
export function hostPlatform(): { architecture: string; os: string } {
  const arch: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" };
  return { architecture: arch[process.arch] ?? process.arch, os: "linux" };
}

/** The index entry for this platform (or the one asked for), as docker pull picks it. */
export function selectPlatform(index: Index, want = hostPlatform()): Descriptor {
  const fit = index.manifests.filter((d) => !d.platform || (d.platform.os === want.os && d.platform.architecture === want.architecture));
  // attestation manifests (buildkit) carry platform unknown/unknown and are skipped by the filter
  const d = fit.find((x) => x.platform) ?? fit[0];
  if (!d) {
    const have = index.manifests.map((x) => (x.platform ? `${x.platform.os}/${x.platform.architecture}` : "?")).join(", ");
    throw new ManifestError(`no matching manifest for ${want.os}/${want.architecture} in the manifest list entries (${have})`);
  }
  return d;
}
