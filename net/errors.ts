// A network error the user can act on. Named "EngineError" so cmd/'s one
// error handler maps it to Docker's exit status like the runtime's own
// (net/ sits beside runtime/, so it does not import runtime/errors.ts).
export class NetError extends Error {
  constructor(
    message: string,
    readonly exitCode = 125,
  ) {
    super(message);
    this.name = "EngineError";
  }
}
