// A netlink socket of one protocol (NETLINK_ROUTE for links and addresses,
// NETLINK_NETFILTER for nf_tables), bound and set up the same way for both
// clients: ACKs without the request echoed, the kernel's error text when it
// has one. It stays bound to the network namespace it was opened in.
import { bind, close, setsockoptInt, socket } from "../../runtime/sys/libc.ts";

const AF_NETLINK = 16, SOCK_RAW = 3, SOCK_CLOEXEC = 0o2000000;
const SOL_NETLINK = 270, NETLINK_CAP_ACK = 10, NETLINK_EXT_ACK = 11;
export const NETLINK_ROUTE = 0, NETLINK_NETFILTER = 12;

/** sockaddr_nl of the kernel: family, pad, pid 0, groups 0 */
export const KERNEL = new Uint8Array([AF_NETLINK, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

export function openNetlink(protocol: number): number {
  const fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
  try {
    bind(fd, KERNEL);
    setsockoptInt(fd, SOL_NETLINK, NETLINK_CAP_ACK, 1);
    try {
      setsockoptInt(fd, SOL_NETLINK, NETLINK_EXT_ACK, 1);
    } catch {} // older kernels: errors without the kernel's message
  } catch (e) {
    close(fd);
    throw e;
  }
  return fd;
}

let shared: Uint8Array | undefined;
/**
 * The one receive buffer of every socket: requests are synchronous, so two
 * reads never overlap, and a cold run allocates 128 KiB once, not per socket.
 */
export const recvBuffer = (): Uint8Array => (shared ??= new Uint8Array(1 << 17));
