// Loaded before every test file (bunfig.toml): what the whole run shares.
// ctr keeps its default cgroup parent (ctr/) between containers, as Docker
// keeps docker/; a run that made it removes it at the end, once empty.
import { afterAll } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_PARENT, removeDefaultParents } from "../cgroup/cgroup.ts";
import { readHierarchies } from "../cgroup/mode.ts";

const made = readHierarchies().filter((h) => !existsSync(join(h.mount, DEFAULT_PARENT)));
afterAll(() => removeDefaultParents(made));
