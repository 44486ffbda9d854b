// `ctr -H URI VERB` (or CTR_HOST): the verbs that work against a daemon,
// each the local verb's own code over a backend that calls the API
// (api/client.ts), so the output is the same in both modes. A verb not
// listed here is refused rather than run on this host by surprise.
import { ApiClient } from "../api/client.ts";
import { fullName } from "../image/archive.ts";
import { canonical, parseReference } from "../image/reference.ts";
import { ImageError } from "../image/store.ts";
import { readFileSync, statSync } from "node:fs";
import { usage, type Verb } from "./_shared.ts";

type RemoteVerb = (c: ApiClient) => Promise<Verb>;

async function imageBackend(c: ApiClient) {
  const { localImages } = await import("./image.ts");
  const backend: typeof localImages = {
    local: false,
    list: async () => (await c.images()).map((s) => ({ id: s.Id, created: new Date(s.Created * 1000).toISOString(), size: s.Size, names: s.RepoTags.map(fullName) })),
    inspect: (ref) => c.inspectImage(ref),
    async load(path, bytes) {
      if (!bytes) {
        if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) usage(`load -i ${path}: a directory loads only on this host; give the daemon a tar`);
        try {
          bytes = readFileSync(path);
        } catch {
          throw new ImageError(`open ${path}: no such file or directory`, 1);
        }
      }
      // the daemon's lines back into what was loaded, for the same printing as here
      return (await c.load(bytes)).map((l) => {
        const id = /^Loaded image ID: (.+)$/.exec(l)?.[1];
        if (id) return { id, names: [] };
        return { id: "", names: [fullName(l.replace(/^Loaded image: /, ""))] };
      });
    },
    remove: (ref, force) => c.removeImage(ref, force),
    async tag(source, target) {
      const r = parseReference(target);
      await c.tagImage(source, { repo: `${r.domain}/${r.path}`, tag: r.tag });
    },
  };
  return backend;
}

const images: RemoteVerb = async (c) => (await import("./image.ts")).alias("ls", await imageBackend(c));

const pull: RemoteVerb = async (c) => {
  const { pullVerb } = await import("./pull.ts");
  return pullVerb(async ({ ref, platform, insecure, progress }) => {
    if (insecure) usage("--insecure-registry is the daemon's setting (CTR_INSECURE_REGISTRIES where it runs), not the client's");
    const r = parseReference(ref);
    await c.pull({ name: `${r.domain}/${r.path}`, tag: r.tag, digest: r.digest }, progress ?? (() => {}), platform && `${platform.os}/${platform.architecture}`);
    // the daemon's stream carried the Status line
    return { name: r.tag ? canonical(r) : undefined };
  });
};

const network: RemoteVerb = async (c) => {
  const { networkVerb } = await import("./network.ts");
  return networkVerb({
    list: () => c.networks(),
    find: (ref) => c.inspectNetwork(ref).catch((e) => {
      if ((e as { status?: number }).status === 404) return undefined;
      throw e;
    }),
    create: async (n) => (await c.createNetwork({
      Name: n.name, Driver: "bridge", Internal: n.internal, Options: n.options, Labels: n.labels,
      IPAM: { Config: n.subnet || n.gateway ? [{ Subnet: n.subnet, Gateway: n.gateway }] : [] },
    })).Id,
    remove: (ref) => c.removeNetwork(ref),
    connect: (net, container, aliases, ip) => c.connectNetwork(net, container, aliases, ip),
    disconnect: (net, container) => c.disconnectNetwork(net, container),
  });
};

const REMOTE: Record<string, RemoteVerb> = {
  images,
  pull,
  network,
  image: async (c) => (await import("./image.ts")).imageVerb(await imageBackend(c)),
  rmi: async (c) => (await import("./image.ts")).alias("rm", await imageBackend(c)),
  tag: async (c) => (await import("./image.ts")).alias("tag", await imageBackend(c)),
  load: async (c) => (await import("./image.ts")).alias("load", await imageBackend(c)),
};

/** The verb as a client of the daemon at `host`. */
export async function remoteVerb(host: string, verb: string): Promise<Verb> {
  const make = REMOTE[verb];
  if (!make) usage(`ctr ${verb} is not available against a daemon yet (-H ${host}): ${Object.keys(REMOTE).sort().join(", ")} are`);
  return make(new ApiClient(host));
}
