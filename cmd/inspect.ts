import { inspectContainer } from "../runtime/inspect.ts";
import { findContainer } from "../runtime/lifecycle.ts";
import { type Verb, out, parseSimple, usage, write } from "./_shared.ts";
import { expandEscapes, renderTemplate } from "./_template.ts";

export const INSPECT_HELP = `Usage:  ctr inspect [OPTIONS] CONTAINER [CONTAINER...]

Display detailed information on containers

Example:
  ctr inspect --format '{{.State.Pid}}' web`;

const inspect: Verb = async (args) => {
  const { opts, positionals } = parseSimple(args, INSPECT_FLAGS, INSPECT_HELP);
  if (positionals.length === 0) usage(`"inspect" requires at least 1 argument.`);
  const docs: object[] = [];
  let missing = 0;
  for (const ref of positionals) {
    try {
      docs.push(inspectContainer(findContainer(ref)));
    } catch (e) {
      write(2, `Error: No such object: ${ref}\n`);
      void e;
      missing++;
    }
  }
  printInspect(docs, opts.format);
  return missing ? 1 : 0;
};
export default inspect;

export const INSPECT_FLAGS = [
  { name: "format", short: "f", value: true, help: "Format output using a Go template" },
  { name: "type", value: true, help: "Only 'container' is known" },
];

export function printInspect(docs: object[], format: string | boolean | undefined): void {
  if (typeof format === "string") {
    const f = expandEscapes(format);
    for (const d of docs) out(renderTemplate(f, d));
  } else {
    out(JSON.stringify(docs, null, 4));
  }
}
