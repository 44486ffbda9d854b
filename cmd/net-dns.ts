// ctr net-dns NETWORK: internal, a user-defined network's DNS server, started by run (net/dns/server.ts says why and how).
import { runDnsServer } from "../net/dns/server.ts";
import { stateRoot } from "../runtime/state/paths.ts";
import { type Verb, usage } from "./_shared.ts";

const netDns: Verb = async (args) => {
  if (args.length !== 1) usage("net-dns is internal: ctr net-dns NETWORK");
  return runDnsServer(stateRoot(), args[0]!);
};
export default netDns;
