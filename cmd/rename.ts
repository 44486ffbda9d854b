import { renameContainer } from "../runtime/rename.ts";
import { type Verb, out, parseSimple, usage } from "./_shared.ts";

export const RENAME_HELP = `Usage:  ctr rename CONTAINER NEW_NAME

Rename a container

Example:
  ctr rename web web-old`;

const rename: Verb = async (args) => {
  const { positionals } = parseSimple(args, [], RENAME_HELP);
  if (positionals.length !== 2) usage(`"rename" requires exactly 2 arguments.`);
  await renameContainer(positionals[0]!, positionals[1]!);
  out("");
};
export default rename;
