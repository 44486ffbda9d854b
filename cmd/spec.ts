import { loadSpecFile } from "../spec/toml.ts";
import { validateSpec } from "../spec/validate.ts";
import { type Verb, out, parseSimple, usage } from "./_shared.ts";
import { warn } from "./_log.ts";

const HELP = `Usage:  ctr spec validate FILE [FILE...]

Check container definition files and print each resolved spec as JSON

Example:
  ctr spec validate examples/web.toml`;

const spec: Verb = async (args) => {
  const { positionals } = parseSimple(args, [], HELP);
  const [sub, ...files] = positionals;
  if (sub !== "validate") usage(`ctr spec: unknown subcommand "${sub ?? ""}": use 'ctr spec validate FILE'`);
  if (files.length === 0) usage(`"spec validate" requires at least 1 argument.`);
  for (const f of files) {
    const s = loadSpecFile(f, { env: process.env });
    for (const w of validateSpec(s)) warn(`${f}: ${w}`);
    out(JSON.stringify(s, null, 2));
  }
};
export default spec;
