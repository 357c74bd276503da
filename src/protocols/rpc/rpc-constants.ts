/** Numbers of ONC RPC version 2 (RFC 5531 section 9 and appendix A). */

export const RPC_VERSION = 2;

export const MSG_CALL = 0;
export const MSG_REPLY = 1;

export const MSG_ACCEPTED = 0;
export const MSG_DENIED = 1;

/** accept_stat */
export const ACCEPT_SUCCESS = 0;
export const ACCEPT_PROG_UNAVAIL = 1;
export const ACCEPT_PROG_MISMATCH = 2;
export const ACCEPT_PROC_UNAVAIL = 3;
export const ACCEPT_GARBAGE_ARGS = 4;
export const ACCEPT_SYSTEM_ERR = 5;

/** reject_stat */
export const REJECT_RPC_MISMATCH = 0;
export const REJECT_AUTH_ERROR = 1;

/** auth_flavor */
export const AUTH_NONE = 0;
export const AUTH_SYS = 1;

/** auth_stat */
export const AUTH_BADCRED = 1;
export const AUTH_REJECTEDCRED = 2;
export const AUTH_BADVERF = 3;
export const AUTH_TOOWEAK = 5;

/** An opaque_auth body is at most 400 bytes (section 8.2). */
export const MAX_AUTH_BYTES = 400;

/** Programs served here (RFC 1833, RFC 1813). */
export const PROG_PORTMAP = 100000;
export const PROG_NFS = 100003;
export const PROG_MOUNT = 100005;

/** Protocol numbers a portmapper mapping names (RFC 1833 section 3). */
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
