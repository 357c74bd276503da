/**
 * TFTP messages (RFC 1350 section 5) plus the OACK of RFC 2347, as one union
 * told apart by `opcode`. Numbers are the wire opcodes.
 */

export const Opcode = {
  RRQ: 1,
  WRQ: 2,
  DATA: 3,
  ACK: 4,
  ERROR: 5,
  /** RFC 2347 section "Packet Formats": option acknowledgement. */
  OACK: 6,
} as const;
export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** RFC 1350 appendix "Error Codes", plus 8 from RFC 2347. */
export const ErrorCode = {
  NOT_DEFINED: 0,
  FILE_NOT_FOUND: 1,
  ACCESS_VIOLATION: 2,
  DISK_FULL: 3,
  ILLEGAL_OPERATION: 4,
  UNKNOWN_TID: 5,
  FILE_EXISTS: 6,
  NO_SUCH_USER: 7,
  /** RFC 2347: the client (or server) refuses the negotiated options. */
  OPTION_REFUSED: 8,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Mode strings are case-insensitive on the wire (RFC 1350 section 5); kept lower case here. */
export type TransferMode = string;

/** One option as sent: name lower-cased (RFC 2347: case-insensitive), value as is. */
export interface TftpOption {
  readonly name: string;
  readonly value: string;
}

export interface RequestPacket {
  readonly opcode: typeof Opcode.RRQ | typeof Opcode.WRQ;
  /** Exactly the bytes the client sent (UTF-8 decoded; see tftp-codec.ts). */
  readonly filename: string;
  /** Lower-cased: "octet", "netascii", "mail" or whatever the client sent. */
  readonly mode: TransferMode;
  /** In the order sent; duplicates kept (negotiation takes the first). */
  readonly options: readonly TftpOption[];
}

export interface DataPacket {
  readonly opcode: typeof Opcode.DATA;
  /** 16-bit wire block number (it rolls over; see tftp-transfer.ts). */
  readonly block: number;
  readonly data: Buffer;
}

export interface AckPacket {
  readonly opcode: typeof Opcode.ACK;
  readonly block: number;
}

export interface ErrorPacket {
  readonly opcode: typeof Opcode.ERROR;
  readonly code: number;
  readonly message: string;
}

export interface OackPacket {
  readonly opcode: typeof Opcode.OACK;
  readonly options: readonly TftpOption[];
}

export type TftpPacket = RequestPacket | DataPacket | AckPacket | ErrorPacket | OackPacket;

/** The canonical texts for error codes, used when there is nothing more specific to say. */
export const errorText: Readonly<Record<number, string>> = {
  0: "Not defined",
  1: "File not found",
  2: "Access violation",
  3: "Disk full or allocation exceeded",
  4: "Illegal TFTP operation",
  5: "Unknown transfer ID",
  6: "File already exists",
  7: "No such user",
  8: "Option negotiation failed",
};
