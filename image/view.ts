// Images as Docker shows them: `image inspect` (and GET /images/{name}/json)
// and the summary of `images` (GET /images/json). Shared by the CLI and the API.
import { familiar } from "./reference.ts";
import { getBlob, type ImageRecord, loadConfig, loadManifest, readIndex, tagsOf } from "./store.ts";

export function imageInspect(rec: ImageRecord, ix = readIndex()) {
  const c = loadConfig(rec);
  const m = loadManifest(rec.manifest);
  return {
    Id: rec.id,
    RepoTags: tagsOf(rec.id, ix).map(familiar),
    RepoDigests: (rec.repoDigests ?? []).map(familiar),
    Parent: "",
    Comment: c.history?.at(-1)?.comment ?? "",
    Created: c.created ?? rec.created,
    DockerVersion: "",
    Author: c.author ?? "",
    Config: { ...c.config, Env: c.config?.Env ?? [], Cmd: c.config?.Cmd ?? null, Entrypoint: c.config?.Entrypoint ?? null, WorkingDir: c.config?.WorkingDir ?? "", User: c.config?.User ?? "", Labels: c.config?.Labels ?? null },
    Architecture: c.architecture,
    Os: c.os,
    Size: rec.size,
    GraphDriver: { Name: "overlay", Data: null },
    RootFS: { Type: "layers", Layers: c.rootfs.diff_ids },
    Metadata: { LastTagTime: rec.added },
    Descriptor: { mediaType: m.mediaType, digest: rec.manifest, size: getBlob(rec.manifest).length },
  };
}

/** One entry of Docker's image list; Containers counts the containers made from it. */
export function imageSummary(rec: ImageRecord, containers: number, ix = readIndex()) {
  let labels: Record<string, string> | null = null;
  try {
    labels = loadConfig(rec).config?.Labels ?? null;
  } catch {}
  return {
    Id: rec.id,
    ParentId: "",
    RepoTags: tagsOf(rec.id, ix).map(familiar),
    RepoDigests: (rec.repoDigests ?? []).map(familiar),
    Created: Math.floor(Date.parse(rec.created) / 1000) || 0,
    Size: rec.size,
    SharedSize: -1,
    Labels: labels ?? {},
    Containers: containers,
  };
}

export type ImageInspect = ReturnType<typeof imageInspect>;
export type ImageSummary = ReturnType<typeof imageSummary>;
