/**
 * The narrow shapes of what the syslog service is handed: node:dgram's
 * Socket and node:net's Server fit them; tests may hand in fakes. The
 * service never binds or closes them (their owner does).
 */
import type { Socket } from "node:net";

export interface SyslogRemote {
  readonly address: string;
  readonly port: number;
}

export interface SyslogUdpSocket {
  on(event: "message", listener: (msg: Buffer, rinfo: SyslogRemote) => void): unknown;
  off(event: "message", listener: (msg: Buffer, rinfo: SyslogRemote) => void): unknown;
}

export interface SyslogTcpServer {
  on(event: "connection", listener: (socket: Socket) => void): unknown;
  off(event: "connection", listener: (socket: Socket) => void): unknown;
}
