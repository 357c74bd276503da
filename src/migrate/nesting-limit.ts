/**
 * How deep an import follows nesting: dhcpd.conf blocks (a host in a group
 * in a subnet in a shared-network is four), the branches of one if/elsif
 * chain, lts.conf LIKE= and ltsp.conf INCLUDE= chains. Real files stay
 * under ten; past this, the input is refused at the line and column where
 * it goes too deep, so that a runaway file (thousands of `{`) gets a
 * located error instead of exhausting the stack.
 */
export const NESTING_LIMIT = 64;
