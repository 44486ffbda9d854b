// A limit is one value written to one file of a cgroup directory.
export interface Limit {
  file: string;
  value: string;
  /** the file may be absent on this kernel (e.g. swap accounting off) */
  optional?: boolean;
  /** the kernel may accept the write and ignore it: read it back, and refuse with this message if it did not land */
  ignoredMessage?: string;
}

export const put = (file: string, v: number | string): Limit => ({ file, value: String(v) });
