// Files embedded into the binary with `import x from "..." with { type: "file" }`:
// the import is the file's path (inside the compiled binary, a $bunfs path).
declare module "*/native/build/executor" {
  const path: string;
  export default path;
}
