// Where the API layer reports what goes wrong outside a request (a --rm
// removal that failed, a broken connection): set by `ctr daemon` to its logger.
let sink: (msg: string) => void = () => {};

export function setApiLog(f: (msg: string) => void): void {
  sink = f;
}

export const apiLog = (msg: string) => sink(msg);
