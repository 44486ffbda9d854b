// Reading a container file: TOML text -> ContainerSpec, with every error
// pointing at FILE:LINE and the key.

import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse, TomlError } from "smol-toml";
import type { HostEnv } from "./env.ts";
import { SpecError } from "./errors.ts";
import { locateKeys } from "./toml-lines.ts";
import { TomlReader } from "./toml-reader.ts";
import { decodeSpec } from "./toml-schema.ts";
import type { ContainerSpec } from "./types.ts";

export interface SpecFileOptions {
  /**
   * Relative paths in the file (rootfs, bind sources, seccomp profile)
   * resolve against this. loadSpecFile sets it to the file's directory, so a
   * file means the same thing whatever directory ctr is run from.
   */
  baseDir?: string;
  /** Values for bare names in an env list; loadSpecFile defaults to process.env. */
  env?: HostEnv;
  /** loadSpecFile: the name used in messages, if not the path read */
  displayName?: string;
}

/** Parses the text of a container file. `filename` is only used in messages. */
export function parseSpecToml(text: string, filename: string, opts: SpecFileOptions = {}): ContainerSpec {
  let doc: Record<string, unknown>;
  try {
    // "__proto__" as a key would otherwise reach the spec objects.
    doc = parse(text, { unsafeKeyBehaviour: "throw" });
  } catch (e) {
    if (e instanceof TomlError) {
      // smol-toml's message ends with a code excerpt; one line is enough here.
      const detail = (e.message.split("\n")[0] ?? "").replace(/^Invalid TOML document: /, "");
      throw new SpecError(`invalid TOML: ${detail} (column ${e.column})`, { file: filename, line: e.line, column: e.column });
    }
    throw e;
  }
  return decodeSpec(doc, new TomlReader(filename, locateKeys(text)), opts);
}

/** Reads and parses a container file; relative paths in it resolve against its directory. */
export function loadSpecFile(path: string, opts: SpecFileOptions = {}): ContainerSpec {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : String((e as Error).message);
    throw new SpecError(`cannot read container file: ${why}`, { file: opts.displayName ?? path });
  }
  return parseSpecToml(text, opts.displayName ?? path, { baseDir: opts.baseDir ?? dirname(resolve(path)), env: opts.env ?? process.env });
}
