/**
 * Port 68 of a client namespace, shared by every simulated machine in it:
 * one UDP socket with SO_BROADCAST, replies told apart by xid and chaddr.
 * Chosen over a packet socket per machine (bench/dhcp/broadcast-clients.c)
 * because the storm needs whole boots, not DHCP rates: the broadcast flag
 * (RFC 2131 §4.1) brings every server's reply to this socket as a
 * broadcast, and the rest of the boot (TFTP, HTTP, NBD) runs on ordinary
 * sockets bound to each machine's leased address.
 *
 * `obtain` is a client's DISCOVER-OFFER-REQUEST-ACK with its firmware's
 * retransmission schedule; it fails with the reason when the schedule runs
 * out, as the firmware would give up.
 */
import { createSocket, type Socket } from "node:dgram";
import { decodeDhcp } from "../../src/protocols/dhcp/decode-dhcp.js";
import { type DhcpMessage, DhcpMessageType, Opt } from "../../src/protocols/dhcp/dhcp-message.js";
import { readIp, readText } from "../../src/protocols/dhcp/dhcp-option-values.js";
import { type Firmware, firmwareDhcpRequest } from "./firmware-dhcp-packets.js";

export interface DhcpLease {
  readonly ip: string;
  readonly serverId: string;
  /** Option 67, else the `file` field (RFC 2132 §9.5). */
  readonly bootFile: string;
  /** Option 66, else `siaddr` (RFC 2131 §2: the next server in bootstrap). */
  readonly nextServer: string;
}

type Waiter = (msg: DhcpMessage) => void;

const RECV_BUFFER_BYTES = 4 * 1024 * 1024;

export class DhcpPort {
  readonly #socket: Socket;
  readonly #waiting = new Map<number, Waiter>();

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on("message", (buf) => {
      let msg: DhcpMessage;
      try {
        msg = decodeDhcp(buf);
      } catch {
        return; // not for a machine of ours, or malformed: firmware ignores it too
      }
      this.#waiting.get(msg.xid)?.(msg);
    });
  }

  static async open(): Promise<DhcpPort> {
    const socket = createSocket({ type: "udp4", reuseAddr: true });
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(68, "0.0.0.0", () => resolve());
    });
    socket.setBroadcast(true);
    // Every machine's OFFER and ACK lands here. A storm of 1,000 sends them
    // faster than a busy simulator reads them, and the default 208 KiB
    // buffer (about 100 replies) then drops what would have booted a
    // machine: ask for 4 MiB (the kernel caps it at net.core.rmem_max).
    socket.setRecvBufferSize(RECV_BUFFER_BYTES);
    // Linux reports twice what it grants (socket(7), SO_RCVBUF).
    const granted = socket.getRecvBufferSize() / 2;
    if (granted < RECV_BUFFER_BYTES)
      process.stderr.write(
        `storm: the simulator's DHCP socket got ${Math.round(granted / 1024)} KiB of receive buffer, not ${RECV_BUFFER_BYTES / 1024}; ` +
          `above some 500 machines it may drop replies itself: raise it with sysctl -w net.core.rmem_max=${RECV_BUFFER_BYTES}\n`,
      );
    return new DhcpPort(socket);
  }

  close(): void {
    this.#socket.close();
  }

  /**
   * DORA for `mac` as `firmware` does it. `timeoutsMs` is the firmware's wait
   * after each transmission (PXE spec 2.1 §2.2.1: 4, 8, 16, 32 s for the ROM).
   */
  async obtain(firmware: Firmware, mac: string, timeoutsMs: readonly number[]): Promise<DhcpLease> {
    const started = Date.now();
    const secs = () => Math.min(0xffff, Math.floor((Date.now() - started) / 1000));
    const chaddr = mac.replace(/:/g, "");
    for (let attempt = 0; attempt < timeoutsMs.length; attempt++) {
      const xid = (Math.random() * 2 ** 32) >>> 0;
      const offer = await this.#ask(
        xid,
        firmwareDhcpRequest(firmware, { mac, xid, type: DhcpMessageType.DISCOVER, secs: secs() }),
        timeoutsMs[attempt]!,
        (m) => m.messageType === DhcpMessageType.OFFER && m.chaddr.subarray(0, 6).toString("hex") === chaddr,
      );
      if (!offer) continue;
      const serverId = readIp(offer.options.get(Opt.SERVER_ID));
      if (!serverId) throw new Error(`${firmware} dhcp: OFFER without a server identifier (option 54)`);
      const ack = await this.#ask(
        xid,
        firmwareDhcpRequest(firmware, {
          mac,
          xid,
          type: DhcpMessageType.REQUEST,
          secs: secs(),
          requestedIp: offer.yiaddr,
          serverId,
        }),
        timeoutsMs[attempt]!,
        (m) =>
          (m.messageType === DhcpMessageType.ACK || m.messageType === DhcpMessageType.NAK) &&
          m.chaddr.subarray(0, 6).toString("hex") === chaddr,
      );
      if (!ack || ack.messageType === DhcpMessageType.NAK) continue;
      return {
        ip: ack.yiaddr,
        serverId,
        bootFile: readText(ack.options.get(Opt.BOOTFILE_NAME)) ?? ack.file,
        nextServer: readText(ack.options.get(Opt.TFTP_SERVER_NAME)) ?? ack.siaddr,
      };
    }
    const waited = timeoutsMs.reduce((a, b) => a + b, 0) / 1000;
    throw new Error(`${firmware} dhcp: no ACK after ${timeoutsMs.length} attempts (${waited} s)`);
  }

  /** Sends `packet` and resolves with the first reply `want` takes, or undefined after `timeoutMs`. */
  #ask(
    xid: number,
    packet: Buffer,
    timeoutMs: number,
    want: (m: DhcpMessage) => boolean,
  ): Promise<DhcpMessage | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(xid);
        resolve(undefined);
      }, timeoutMs);
      this.#waiting.set(xid, (m) => {
        if (!want(m)) return;
        clearTimeout(timer);
        this.#waiting.delete(xid);
        resolve(m);
      });
      this.#socket.send(packet, 67, "255.255.255.255");
    });
  }
}
