import { connect } from "cloudflare:sockets";
import type { Connection } from "./upload";

/** The one file that touches the Workers runtime: a plain TCP connection for the SSH transport to speak over. */
export function dialTcp(host: string, port: number): Connection {
  const socket = connect({ hostname: host, port }, { secureTransport: "off", allowHalfOpen: false });
  // A reset rejects `closed` too; the transport already reports it from the read or write that saw it.
  socket.closed.catch(() => {});
  return {
    readable: socket.readable as ReadableStream<Uint8Array>,
    writable: socket.writable as WritableStream<Uint8Array>,
    opened: socket.opened,
    close: () => socket.close(),
  };
}
