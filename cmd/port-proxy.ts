// ctr port-proxy ID IP PORTS: internal, started by run/create for -p (net/ports.ts explains why a proxy).
import { runPortProxy } from "../net/ports.ts";
import { stateRoot } from "../runtime/state/paths.ts";
import { type Verb, usage } from "./_shared.ts";

const portProxy: Verb = async (args) => {
  const [id, ip, ports] = args;
  if (!id || !ip || !ports) usage("port-proxy is internal: ctr port-proxy ID IP PORTS-JSON");
  return runPortProxy(stateRoot(), id!, ip!, JSON.parse(ports!));
};
export default portProxy;
