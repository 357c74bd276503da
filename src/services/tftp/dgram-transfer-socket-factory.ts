import { createSocket } from "node:dgram";
import type { TransferSocket, TransferSocketFactory } from "./udp-socket.js";

/**
 * Per-transfer sockets from node:dgram, bound to `localAddress` on a port the
 * kernel picks and connected to the client. Bind them to the address the server is reached at (not
 * 0.0.0.0) on multi-homed hosts: Node cannot read IP_PKTINFO, and PXE ROMs
 * drop replies that come from another address than the one they asked.
 */
export function dgramTransferSocketFactory(localAddress: string): TransferSocketFactory {
  const type = localAddress.includes(":") ? "udp6" : "udp4";
  return (client) =>
    new Promise<TransferSocket>((resolve, reject) => {
      const socket = createSocket({ type });
      const onError = (error: Error): void => {
        socket.close();
        reject(error);
      };
      socket.once("error", onError);
      socket.bind({ port: 0, address: localAddress, exclusive: true }, () => {
        socket.connect(client.port, client.address, () => {
          socket.off("error", onError);
          resolve(socket);
        });
      });
    });
}
