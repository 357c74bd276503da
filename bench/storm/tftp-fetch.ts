/**
 * A TFTP read as iPXE's PXE-ROM-loaded first stage is fetched: RRQ with
 * blksize 1468 (RFC 2348; what fits a 1500-byte Ethernet frame) and tsize 0
 * (RFC 2349: the server says the size in its OACK), ACK 0 to the OACK (RFC
 * 2347), then lock-step DATA/ACK from the server's transfer port (RFC 1350
 * §4: the TID). A silence is answered by sending the last packet again,
 * up to `retries` times, as PXE ROMs do; then the fetch fails with why.
 */
import { createSocket, type RemoteInfo } from "node:dgram";
import { decode, encode } from "../../src/protocols/tftp/tftp-codec.js";
import { Opcode, type TftpPacket } from "../../src/protocols/tftp/tftp-packet.js";

export interface TftpFetchOptions {
  readonly localAddress: string;
  readonly server: string;
  readonly file: string;
  readonly blksize?: number;
  readonly timeoutMs?: number;
  readonly retries?: number;
}

/** Resolves with the number of bytes received (checked against the OACK's tsize). */
export function tftpFetch(o: TftpFetchOptions): Promise<number> {
  const blksize = o.blksize ?? 1468;
  const timeoutMs = o.timeoutMs ?? 1000;
  const retries = o.retries ?? 5;
  const socket = createSocket("udp4");
  return new Promise<number>((resolve, reject) => {
    let peer: { address: string; port: number } | undefined;
    let last = encode({
      opcode: Opcode.RRQ,
      filename: o.file,
      mode: "octet",
      options: [
        { name: "blksize", value: String(blksize) },
        { name: "tsize", value: "0" },
      ],
    });
    let tsize: number | undefined;
    let expected = 1;
    let received = 0;
    let silences = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err?: Error) => {
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(received);
    };
    const send = (packet: Buffer) => {
      last = packet;
      clearTimeout(timer);
      timer = setTimeout(onSilence, timeoutMs);
      socket.send(packet, peer?.port ?? 69, peer?.address ?? o.server);
    };
    const onSilence = () => {
      if (++silences > retries) {
        finish(new Error(`tftp ${o.file}: no answer after ${retries} retransmissions (block ${expected})`));
        return;
      }
      send(last);
    };
    socket.on("error", (e) => finish(new Error(`tftp ${o.file}: ${e.message}`)));
    socket.on("message", (buf: Buffer, from: RemoteInfo) => {
      if (peer && (from.port !== peer.port || from.address !== peer.address)) return;
      let p: TftpPacket;
      try {
        p = decode(buf);
      } catch {
        return;
      }
      peer ??= { address: from.address, port: from.port };
      silences = 0;
      if (p.opcode === Opcode.ERROR) {
        finish(new Error(`tftp ${o.file}: server error ${p.code} "${p.message}"`));
      } else if (p.opcode === Opcode.OACK) {
        const size = p.options.find((x) => x.name.toLowerCase() === "tsize");
        if (size) tsize = Number(size.value);
        send(encode({ opcode: Opcode.ACK, block: 0 }));
      } else if (p.opcode === Opcode.DATA) {
        if (p.block !== (expected & 0xffff)) {
          // A duplicate of the previous block: our ACK was lost or late (RFC 1350 §6 note on the Sorcerer's Apprentice: ACK it, do not resend data).
          if (p.block === ((expected - 1) & 0xffff))
            socket.send(encode({ opcode: Opcode.ACK, block: p.block }), peer.port, peer.address);
          return;
        }
        received += p.data.length;
        expected++;
        const ack = encode({ opcode: Opcode.ACK, block: p.block });
        if (p.data.length < blksize) {
          socket.send(ack, peer.port, peer.address, () => {
            if (tsize !== undefined && tsize !== received)
              finish(new Error(`tftp ${o.file}: got ${received} bytes, OACK said tsize ${tsize}`));
            else finish();
          });
          clearTimeout(timer);
          return;
        }
        send(ack);
      }
    });
    socket.bind(0, o.localAddress, () => send(last));
  });
}
