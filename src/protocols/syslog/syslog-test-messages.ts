/**
 * Test messages: the examples of RFC 5424 6.5 and RFC 3164 5.4, and lines
 * captured from util-linux logger 2.38 (Debian 12) on a local socket.
 * BOM stands for the UTF-8 byte order mark RFC 5424 writes as "BOM".
 */
const BOM = "\uFEFF";

export const rfc5424Examples = {
  /** 6.5 example 1: no STRUCTURED-DATA, MSG with BOM. */
  ex1: `<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - ${BOM}'su root' failed for lonvick on /dev/pts/8`,
  /** 6.5 example 2: microseconds and an offset, no BOM. */
  ex2: "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
  /** 6.5 example 3: STRUCTURED-DATA and a message. */
  ex3: `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] ${BOM}An application event log entry...`,
  /** 6.5 example 4: two SD-ELEMENTs, no MSG. */
  ex4: '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]',
} as const;

export const rfc3164Examples = {
  /** 5.4 example 1. */
  ex1: "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
  /** 5.4 example 2: no PRI, no header. */
  ex2: "Use the BFG!",
  /** 5.4 example 3: an address as HOSTNAME, no TAG. */
  ex3: "<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!",
} as const;

export const loggerCaptures = {
  udp5424: `<156>1 2026-11-24T17:27:16.711096+00:00 vm myapp - - [timeQuality tzKnown="1" isSynced="0"] hello 5424 ü`,
  udp3164: "<13>Nov 24 17:27:16 vm myapp: hello 3164",
  sd: '<13>1 2026-11-24T17:27:16.716225+00:00 vm root - ID47 [timeQuality tzKnown="1" isSynced="0"][zoo@123 tiger="hungry"] with sd',
  /** TCP, octet counting (logger --tcp --octet-count): two frames as sent. */
  tcpOctets:
    '91 <13>1 2026-11-24T17:27:16.731004+00:00 vm root - - [timeQuality tzKnown="1" isSynced="0"] a' +
    '91 <13>1 2026-11-24T17:27:16.731265+00:00 vm root - - [timeQuality tzKnown="1" isSynced="0"] b',
  /** TCP, non-transparent framing (logger --tcp): LF after each message. */
  tcpLines: "<13>Nov 24 17:27:16 vm root: tcp 3164\n",
} as const;
