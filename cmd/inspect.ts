import { inspectContainer } from "../runtime/inspect.ts";
import { findContainer } from "../runtime/lifecycle.ts";
import { type Verb, out, parseSimple, usage, write } from "./_shared.ts";
import { expandEscapes, renderTemplate } from "./_template.ts";

export const INSPECT_HELP = `Usage:  ctr inspect [OPTIONS] CONTAINER [CONTAINER...]

Display detailed information on containers

Example:
  ctr inspect --format '{{.State.Pid}}' web`;

/** inspect over any source of Docker's inspect documents (this host, or a daemon: cmd/remote.ts); a source that throws NotFound prints Docker's "No such object". */
export function inspectVerb(get: (ref: string) => object | Promise<object>, isMissing: (e: unknown) => boolean = () => true): Verb {
  return async (args) => {
    const { opts, positionals } = parseSimple(args, INSPECT_FLAGS, INSPECT_HELP);
    if (positionals.length === 0) usage(`"inspect" requires at least 1 argument.`);
    const docs: object[] = [];
    let missing = 0;
    for (const ref of positionals) {
      try {
        docs.push(await get(ref));
      } catch (e) {
        if (!isMissing(e)) throw e;
        write(2, `Error: No such object: ${ref}\n`);
        missing++;
      }
    }
    printInspect(docs, opts.format);
    return missing ? 1 : 0;
  };
}

const inspect = inspectVerb((ref) => inspectContainer(findContainer(ref)));
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
