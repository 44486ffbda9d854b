// spec/: the TOML file and the command-line flags -> one validated
// ContainerSpec. Pure except for reading the container file and env-files.
// Other layers import from here.

export * from "./types.ts";
export { SpecError, didYouMean, levenshtein, type SpecErrorWhere } from "./errors.ts";
export { parseSize, formatSize, parseDuration, parseCpus, parseInteger, parseBool } from "./units.ts";
export { SIGNALS, parseSignal, signalNumber } from "./signals.ts";
export { CAPABILITIES, parseCapability } from "./capabilities.ts";
export { parseEnvList, parseEnvFile, parseKeyValue, type HostEnv } from "./env.ts";
export { parsePort, parseIp, parseMac, parseExtraHost, parseNetworkMode, parseContainerName, isIP } from "./network.ts";
export { parseMount, parseVolume, parseMountFlag, parseTmpfs } from "./mounts.ts";
export { parseNamespace, applyUserns, NAMESPACE_KINDS } from "./namespaces.ts";
export { parseRestart } from "./restart.ts";
export { parseUlimit, RLIMIT_NAMES, RLIM_UNLIMITED } from "./ulimits.ts";
export { splitShellWords } from "./words.ts";
export { loadSpecFile, parseSpecToml, type SpecFileOptions } from "./toml.ts";
export { validateSpec, MIN_MEMORY } from "./validate.ts";
export { formatFlagHelp, type FlagDef, type FlagHelp } from "./argv.ts";
export { RUN_FLAGS, parseRunArgv, applyRunArgv, buildRunSpec, type RunArgv, type RunOptions } from "./flags.ts";
export { EXEC_FLAGS, parseExecArgv, type ExecSpec } from "./exec-flags.ts";
