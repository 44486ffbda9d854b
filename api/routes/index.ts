// Every route of the API, area by area (api/route.ts is the contract).
import type { Route } from "../route.ts";
import { routes as containers } from "./containers.ts";
import { routes as events } from "./events.ts";
import { routes as exec } from "./exec.ts";
import { routes as images } from "./images.ts";
import { routes as networks } from "./networks.ts";
import { routes as system } from "./system.ts";

export const ROUTES: Route[] = [...system, ...containers, ...exec, ...images, ...networks, ...events];
