// ctr logout [SERVER]: forgets the credentials login saved.
import { removeCredentials } from "../image/auth.ts";
import { registryHost } from "./login.ts";
import { type Verb, out, parseSimple, usage } from "./_shared.ts";

const logout: Verb = async (args) => {
  const { positionals } = parseSimple(args, [], "Usage:  ctr logout [SERVER]\n\nLog out from a registry (default docker.io)");
  if (positionals.length > 1) usage(`"logout" requires at most 1 argument.`);
  const host = registryHost(positionals[0]);
  out(removeCredentials(host) ? `Removing login credentials for ${host}` : `Not logged in to ${host}`);
};
export default logout;
