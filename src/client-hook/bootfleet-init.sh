#!/bootfleet/bin/busybox sh
# bootfleet client hook: the /init of a bootfleet client's initramfs.
#
# `bootfleet image build` appends a cpio to the image's initrd that holds this
# script as /init (replacing the image's own init), a static busybox,
# bootfleet-nbd (static, src/client-hook/bootfleet-nbd.c) and/or the image's
# nbd-client with its libraries under /bootfleet/lib, and the kernel modules
# it needs under /bootfleet/modules. It runs under busybox sh, brings
# the network up, mounts the image read-only over NBD (or from a copy it
# fetched into RAM) with a writable overlay on top, lays the machine's own files over it, reports every stage to the
# bootfleet server, and switch_roots to the image's init. On any failure it
# says why on the console, reports stage "failed", and opens a rescue shell
# instead of letting the kernel panic.
#
# Kernel command line (values cannot contain spaces):
#   bootfleet.server=IP           the bootfleet server; default host for nbd= and syslog=
#   bootfleet.servers=IP,IP,...   every server holding this image version, in the order
#                                 to try: the NBD root goes to the next when one does
#                                 not answer (at boot and on every reconnect), and so do
#                                 the hook's HTTP fetches and stage reports (the URLs'
#                                 host is swapped, their port and path kept)
#   bootfleet.nbd_timeout=SECONDS a request with no reply for this long counts the
#                                 server as gone: the kernel requeues it and
#                                 bootfleet-nbd reconnects (default 15)
#   bootfleet.nbd_dead_timeout=SECONDS  how long root I/O waits for a server to answer
#                                 again before it fails (default 86400: a client
#                                 waits out any restart, upgrade or crash of the server)
#   bootfleet.nbd=IP:PORT/EXPORT  the root image over NBD. EXPORT is <image>@<version>
#                                 (e.g. debian@20261124-153000) or <image> for its current
#                                 version. IP defaults to bootfleet.server, PORT to 10809.
#   bootfleet.root=ram            instead of NBD (config root: ram): the image's squashfs is
#                                 fetched over HTTP into a tmpfs, checked, and loop-mounted
#                                 read-only under the same overlay; once up the client
#                                 needs no server (live-boot's toram, Warewulf)
#   bootfleet.root_url=URL        where to fetch it (/images/<name>/<version>/root.squashfs)
#   bootfleet.root_sha256=HEX     its sha256, from the image version's manifest
#   bootfleet.root_bytes=N        its size, from the manifest: checked against the RAM
#                                 before the fetch
#   bootfleet.ram_reserve_mb=MB   RAM the running system needs beside a RAM root (default
#                                 128; a setting BOOTFLEET_RAM_RESERVE_MB puts it here)
#   bootfleet.nfs=IP:/PATH        the root tree over NFSv3 instead of NBD (bootfleet's NFS
#                                 service exports /images/<image>[/<version>]), mounted
#                                 read-only and hard under the same overlay: a server
#                                 restart stalls reads, it does not fail them. IP defaults
#                                 to bootfleet.server. Needs the image's nfs modules.
#   bootfleet.http=http://IP:PORT the server's HTTP service: stages are POSTed as JSON
#                                 {"stage":...,"detail":{...}} to
#                                 <http>/api/v1/machines/<mac>/events
#   bootfleet.mac=MAC             the MAC the machine booted from (iPXE ${net0/mac}): picks
#                                 the NIC and names the machine in reports. Default: BOOTIF=,
#                                 else the first Ethernet NIC.
#   bootfleet.hostname=NAME       hostname of the client (kernel and /etc/hostname, /etc/hosts)
#   bootfleet.layers=URL          the machine's layer cpio (the HTTP service serves
#                                 /boot/<mac>/layers.cpio), fetched and laid over the root.
#                                 A layer cpio loaded as an extra initrd instead (iPXE
#                                 `initrd .../layers.cpio`) unpacks at /bootfleet/layers and
#                                 is laid over first. Layer cpio layout: paths under
#                                 bootfleet/layers/ are paths in the client's root
#                                 (bootfleet/layers/etc/motd -> /etc/motd); an archive
#                                 without that prefix is laid over as is. gzip allowed.
#   bootfleet.scratch=LABEL       a local partition with this filesystem label holds the
#                                 overlay's writable layer (a lab PC's local "scratch" disk),
#                                 wiped at every boot; without it, or when no such
#                                 partition appears, a tmpfs does.
#   bootfleet.syslog=IP[:PORT]    point the image's rsyslog or busybox syslogd at this
#                                 receiver (UDP, port 514 by default)
#   bootfleet.init=PATH           the image's init (default: init=, else /sbin/init)
#   bootfleet.timeout=SECONDS     wait for the NIC, DHCP, the NBD server and the scratch
#                                 disk at most this long each (default 30)
#   bootfleet.debug               trace every command on the console (set -x)
#   bootfleet.cow=1               the NBD server keeps a private copy-on-write layer for this
#                                 client: connect read-write (the root is still squashfs,
#                                 so this only matters to images that write their device)
#   boot=bootfleet                (the planner passes it for initramfs-tools; this /init
#                                 replaces initramfs-tools' and ignores it)
#   ip=...                        the kernel's syntax (Documentation/admin-guide/nfs/
#                                 nfsroot.rst): ip=CLIENT:SERVER:GW:NETMASK:HOST:DEV:AUTOCONF
#                                 gives a static address; ip=dhcp, other forms or no ip=
#                                 use busybox udhcpc. Debian's kernels have no in-kernel
#                                 IP autoconfiguration, so this script does it.
#
# Stages reported: initrd (network up), root-mounted, layers-applied, init
# (just before switch_root), failed (with the stage and the reason).

export PATH=/bootfleet/bin:/bootfleet/sbin:/usr/sbin:/usr/bin:/sbin:/bin
BB=/bootfleet/bin/busybox
NBD_CLIENT=/bootfleet/sbin/nbd-client
NBD_HELPER=/bootfleet/sbin/bootfleet-nbd
STATE=/run/bootfleet

BF_SERVER=
BF_SERVERS=
BF_NBD_TIMEOUT=15
BF_NBD_DEAD_TIMEOUT=86400
BF_NBD=
BF_HTTP=
BF_MAC=
BF_HOSTNAME=
BF_LAYERS=
BF_SCRATCH=
BF_SYSLOG=
BF_INIT=
BF_TIMEOUT=30
BF_DEBUG=
BF_COW=
BF_ROOT=
BF_ROOT_URL=
BF_ROOT_SHA256=
BF_ROOT_BYTES=
BF_RAM_RESERVE_MB=128
BOOTIF_MAC=
IP_PARAM=
KERNEL_INIT=
IFACE=
NET_UP=0
STAGE=start

msg() {
  up=$(cut -d' ' -f1 /proc/uptime 2>/dev/null)
  echo "bootfleet: [${up:-?}] $*"
}

# --- pure helpers (unit-tested with BOOTFLEET_LIB=1) -------------------------

# JSON string contents: backslash and quote escaped, control characters dropped.
json_escape() {
  printf '%s' "$1" | tr '\n\r\t' '   ' | tr -d '\000-\037' | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'
}

# jobj key value [key value...] -> {"key":"value",...}; whole numbers stay numbers.
jobj() {
  out=
  while [ $# -ge 2 ]; do
    case "$2" in
      0 | [1-9] | [1-9]*[0-9])
        case "$2" in
          *[!0-9]*) v="\"$(json_escape "$2")\"" ;;
          *) v=$2 ;;
        esac
        ;;
      *) v="\"$(json_escape "$2")\"" ;;
    esac
    out="$out${out:+,}\"$(json_escape "$1")\":$v"
    shift 2
  done
  printf '{%s}' "$out"
}

# Quote a value for a file that is sourced later: DHCP servers are not trusted.
shquote() {
  printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

lower() {
  printf '%s' "$1" | tr 'A-Z' 'a-z'
}

# aa-bb-cc-dd-ee-ff, AA:BB:..., 01-aa-bb-... (pxelinux BOOTIF) -> aa:bb:cc:dd:ee:ff
normalise_mac() {
  m=$(lower "$1" | tr '-' ':')
  case "$m" in
    01:??:??:??:??:??:??) m=${m#01:} ;;
  esac
  case "$m" in
    [0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]) printf '%s' "$m" ;;
    *) return 1 ;;
  esac
}

# 255.255.255.0 -> 24; a number is passed through.
netmask_to_prefix() {
  case "$1" in
    *.*) ;;
    '') echo 24; return 0 ;;
    *) echo "$1"; return 0 ;;
  esac
  bits=0
  old_ifs=$IFS
  IFS=.
  # shellcheck disable=SC2086
  set -- $1
  IFS=$old_ifs
  for o in "$@"; do
    case "$o" in
      255) bits=$((bits + 8)) ;; 254) bits=$((bits + 7)) ;; 252) bits=$((bits + 6)) ;;
      248) bits=$((bits + 5)) ;; 240) bits=$((bits + 4)) ;; 224) bits=$((bits + 3)) ;;
      192) bits=$((bits + 2)) ;; 128) bits=$((bits + 1)) ;; 0) ;;
      *) return 1 ;;
    esac
  done
  echo "$bits"
}

is_ipv4() {
  case "$1" in
    *[!0-9.]* | '' | *..* | .* | *.) return 1 ;;
  esac
  old_ifs=$IFS
  IFS=.
  # shellcheck disable=SC2086
  set -- $1
  IFS=$old_ifs
  [ $# -eq 4 ] || return 1
  for o in "$@"; do [ "$o" -le 255 ] 2>/dev/null || return 1; done
}

# Sets BF_* from a kernel command line.
parse_cmdline() {
  set -f
  # shellcheck disable=SC2086
  for arg in $1; do
    case "$arg" in
      bootfleet.server=*) BF_SERVER=${arg#*=} ;;
      bootfleet.servers=*) BF_SERVERS=${arg#*=} ;;
      bootfleet.nbd_timeout=*) BF_NBD_TIMEOUT=${arg#*=} ;;
      bootfleet.nbd_dead_timeout=*) BF_NBD_DEAD_TIMEOUT=${arg#*=} ;;
      bootfleet.nbd=*) BF_NBD=${arg#*=} ;;
      bootfleet.nfs=*) BF_NFS=${arg#*=} ;;
      bootfleet.http=*) BF_HTTP=${arg#*=} ;;
      bootfleet.mac=*) BF_MAC=${arg#*=} ;;
      bootfleet.hostname=*) BF_HOSTNAME=${arg#*=} ;;
      bootfleet.layers=*) BF_LAYERS=${arg#*=} ;;
      bootfleet.scratch=*) BF_SCRATCH=${arg#*=} ;;
      bootfleet.syslog=*) BF_SYSLOG=${arg#*=} ;;
      bootfleet.init=*) BF_INIT=${arg#*=} ;;
      bootfleet.timeout=*) BF_TIMEOUT=${arg#*=} ;;
      bootfleet.debug | bootfleet.debug=*) BF_DEBUG=1 ;;
      bootfleet.cow=*) BF_COW=${arg#*=} ;;
      bootfleet.root=*) BF_ROOT=${arg#*=} ;;
      bootfleet.root_url=*) BF_ROOT_URL=${arg#*=} ;;
      bootfleet.root_sha256=*) BF_ROOT_SHA256=${arg#*=} ;;
      bootfleet.root_bytes=*) BF_ROOT_BYTES=${arg#*=} ;;
      bootfleet.ram_reserve_mb=*) BF_RAM_RESERVE_MB=${arg#*=} ;;
      BOOTIF=*) BOOTIF_MAC=${arg#*=} ;;
      ip=*) IP_PARAM=${arg#*=} ;;
      init=*) KERNEL_INIT=${arg#*=} ;;
    esac
  done
  set +f
  case "$BF_TIMEOUT" in '' | *[!0-9]*) BF_TIMEOUT=30 ;; esac
  case "$BF_RAM_RESERVE_MB" in '' | *[!0-9]*) BF_RAM_RESERVE_MB=128 ;; esac
  case "$BF_NBD_TIMEOUT" in '' | 0 | *[!0-9]*) BF_NBD_TIMEOUT=15 ;; esac
  case "$BF_NBD_DEAD_TIMEOUT" in '' | 0 | *[!0-9]*) BF_NBD_DEAD_TIMEOUT=86400 ;; esac
  # Addresses only, space-separated from here on; anything else is dropped
  # (they end up in URLs and argv).
  # (is_ipv4 sets IFS itself: the split list is taken first.)
  list=
  srv_ifs=$IFS
  IFS=,
  # shellcheck disable=SC2086
  set -- $BF_SERVERS
  IFS=$srv_ifs
  for s in "$@"; do
    is_ipv4 "$s" || continue
    case " $list " in *" $s "*) ;; *) list="$list${list:+ }$s" ;; esac
  done
  BF_SERVERS=$list
  BF_HTTP=${BF_HTTP%/}
  [ -n "$BF_INIT" ] || BF_INIT=${KERNEL_INIT:-/sbin/init}
  if [ -n "$BF_MAC" ]; then
    BF_MAC=$(normalise_mac "$BF_MAC") || BF_MAC=
  fi
  if [ -n "$BOOTIF_MAC" ]; then
    BOOTIF_MAC=$(normalise_mac "$BOOTIF_MAC") || BOOTIF_MAC=
  fi
  # A hostname goes into files and the kernel: letters, digits, '-' and '.' only.
  BF_HOSTNAME=$(printf '%s' "$BF_HOSTNAME" | tr -cd 'A-Za-z0-9.-')
}

# bootfleet.nbd=IP:PORT/EXPORT -> NBD_HOST NBD_PORT NBD_EXPORT
parse_nbd() {
  spec=$1
  case "$spec" in
    */*) ;;
    *) return 1 ;;
  esac
  NBD_EXPORT=${spec#*/}
  hp=${spec%%/*}
  case "$hp" in
    *:*) NBD_HOST=${hp%:*}; NBD_PORT=${hp##*:} ;;
    *) NBD_HOST=$hp; NBD_PORT=10809 ;;
  esac
  [ -n "$NBD_HOST" ] || NBD_HOST=$BF_SERVER
  [ -n "$NBD_PORT" ] || NBD_PORT=10809
  case "$NBD_PORT" in *[!0-9]*) return 1 ;; esac
  [ -n "$NBD_HOST" ] && [ -n "$NBD_EXPORT" ]
}

# The hosts to try for a service first found at HOST: HOST itself, then every
# other address of bootfleet.servers, space-separated.
server_order() {
  out=$1
  for s in $BF_SERVERS; do
    [ "$s" = "$1" ] || out="$out $s"
  done
  printf '%s' "$out"
}

# url_hosts URL -> the URL as given, then the same URL on each other server
# (http://HOST[:PORT]/path: the host swapped, port and path kept), one a line.
url_hosts() {
  rest=${1#http://}
  [ "$rest" != "$1" ] || { printf '%s\n' "$1"; return 0; }
  hostport=${rest%%/*}
  path=${rest#"$hostport"}
  host=${hostport%%:*}
  port=${hostport#"$host"}
  for h in $(server_order "$host"); do
    printf 'http://%s%s%s\n' "$h" "$port" "$path"
  done
}

# http_get URL FILE [SECONDS]: fetch URL into FILE from the first server that
# answers, in url_hosts order.
http_get() {
  for u in $(url_hosts "$1"); do
    if timeout "${3:-60}" wget -q -O "$2" "$u" 2>/dev/null; then return 0; fi
  done
  return 1
}

# mem_available [MEMINFO]: bytes the kernel can give without swapping
# (MemAvailable, else MemFree on kernels before 3.14).
mem_available() {
  kb=$(sed -n 's/^MemAvailable: *\([0-9]*\) kB$/\1/p' "${1:-/proc/meminfo}")
  [ -n "$kb" ] || kb=$(sed -n 's/^MemFree: *\([0-9]*\) kB$/\1/p' "${1:-/proc/meminfo}")
  echo $((${kb:-0} * 1024))
}

# ram_fits BYTES AVAILABLE RESERVE_MB: a root of BYTES in a tmpfs still
# leaves RESERVE_MB MiB of AVAILABLE for the system that runs from it.
ram_fits() {
  [ $(($1 + $3 * 1048576)) -le "$2" ]
}

# http://HOST:PORT/images/NAME/VERSION/root.squashfs -> NAME@VERSION (the
# image version, named as an NBD export would be).
image_of_url() {
  rest=${1#*/images/}
  [ "$rest" != "$1" ] || return 1
  name=${rest%%/*}
  rest=${rest#*/}
  version=${rest%%/*}
  [ -n "$name" ] && [ -n "$version" ] && [ "$version" != "$rest" ] || return 1
  printf '%s@%s' "$name" "$version"
}

# ip=CLIENT:SERVER:GW:NETMASK:HOST:DEV:AUTOCONF -> IP_CLIENT IP_GW IP_PREFIX IP_HOST IP_DEV
# Returns 1 when the address is not static (DHCP wanted).
parse_ip_param() {
  IP_CLIENT= IP_GW= IP_PREFIX= IP_HOST= IP_DEV=
  case "$1" in
    '' | dhcp | on | any | bootp | rarp | both | off | none) return 1 ;;
  esac
  old_ifs=$IFS
  IFS=:
  # shellcheck disable=SC2086
  set -- $1
  IFS=$old_ifs
  is_ipv4 "$1" || return 1
  IP_CLIENT=$1
  IP_GW=$3
  is_ipv4 "$IP_GW" || IP_GW=
  IP_PREFIX=$(netmask_to_prefix "$4") || IP_PREFIX=24
  IP_HOST=$5
  IP_DEV=$6
  return 0
}

# --- stages ------------------------------------------------------------------

# report STAGE [DETAIL-JSON]: POST the stage to the server; never fatal.
report() {
  [ "$NET_UP" = 1 ] && [ -n "$BF_HTTP" ] && [ -n "$BF_MAC" ] || return 0
  body="{\"stage\":\"$1\",\"detail\":${2:-"{}"}}"
  for u in $(url_hosts "$BF_HTTP/api/v1/machines/$BF_MAC/events"); do
    if timeout 10 wget -q -O /dev/null --header "Content-Type: application/json" \
      --post-data "$body" "$u" 2>/dev/null; then
      # Later reports go first to the server that took this one.
      BF_HTTP=${u%/api/v1/machines/*}
      return 0
    fi
  done
  msg "could not report stage $1 to $BF_HTTP (continuing)"
}

rescue() {
  msg "rescue shell: the boot cannot continue. 'dmesg' shows the kernel's side."
  while :; do
    setsid cttyhack sh -l
    msg "rescue shell exited; starting another"
    sleep 1
  done
}

fail() {
  STAGE_FAILED=$1
  shift
  msg "FAILED at $STAGE_FAILED: $*"
  report failed "$(jobj stage "$STAGE_FAILED" reason "$*")"
  rescue
}

setup_base() {
  $BB mkdir -p /proc /sys /dev /run /tmp /newroot
  $BB mount -t proc -o nodev,noexec,nosuid proc /proc 2>/dev/null
  $BB mount -t sysfs -o nodev,noexec,nosuid sysfs /sys 2>/dev/null
  $BB mount -t devtmpfs -o mode=0755,nosuid devtmpfs /dev 2>/dev/null ||
    $BB mount -t tmpfs -o mode=0755,nosuid tmpfs /dev
  $BB mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run 2>/dev/null
  $BB mkdir -p /dev/pts "$STATE"
  $BB --install -s /bootfleet/bin 2>/dev/null
  # Keep kernel messages below errors off the console: they interleave with ours.
  echo 3 >/proc/sys/kernel/printk 2>/dev/null
}

load_modules() {
  [ -f /bootfleet/modules/load-order ] || return 0
  while read -r name; do
    [ -n "$name" ] || continue
    out=$(insmod "/bootfleet/modules/$name.ko" 2>&1) && continue
    # Already loaded (or built in after all): not a failure.
    case "$out" in *"File exists"* | *"exists"*) continue ;; esac
    msg "insmod $name: $out"
  done </bootfleet/modules/load-order
}

find_iface() {
  want=$1
  for dev in /sys/class/net/*; do
    i=${dev##*/}
    [ "$i" != lo ] || continue
    [ "$(cat "$dev/type" 2>/dev/null)" = 1 ] || continue
    if [ -n "$want" ]; then
      [ "$(lower "$(cat "$dev/address" 2>/dev/null)")" = "$want" ] || continue
    fi
    echo "$i"
    return 0
  done
  return 1
}

has_ipv4() {
  ip -4 addr show dev "$1" 2>/dev/null | grep -q ' inet '
}

setup_network() {
  want=${BF_MAC:-$BOOTIF_MAC}
  static=0
  parse_ip_param "$IP_PARAM" && static=1
  [ "$static" = 1 ] && [ -n "$IP_DEV" ] && [ -z "$want" ] && IFACE=$IP_DEV
  i=0
  while [ -z "$IFACE" ]; do
    IFACE=$(find_iface "$want") && break
    IFACE=
    i=$((i + 1))
    if [ "$i" -ge $((BF_TIMEOUT * 2)) ]; then
      [ -n "$want" ] || fail network "no network interface appeared in ${BF_TIMEOUT}s (is the NIC's driver among the hook's modules?)"
      msg "no NIC with MAC $want; using the first one"
      want=
      i=0
    fi
    sleep 0.5
  done
  [ -d "/sys/class/net/$IFACE" ] || fail network "no network interface $IFACE"
  [ -n "$BF_MAC" ] || BF_MAC=$(normalise_mac "$(cat "/sys/class/net/$IFACE/address")")
  ip link set lo up
  ip link set "$IFACE" up || fail network "cannot bring $IFACE up"
  if has_ipv4 "$IFACE"; then
    msg "$IFACE already has an address"
  elif [ "$static" = 1 ]; then
    ip addr add "$IP_CLIENT/$IP_PREFIX" dev "$IFACE" || fail network "cannot add $IP_CLIENT/$IP_PREFIX to $IFACE"
    [ -z "$IP_GW" ] || ip route add default via "$IP_GW" dev "$IFACE" ||
      msg "cannot add default route via $IP_GW"
    [ -n "$BF_HOSTNAME" ] || BF_HOSTNAME=$(printf '%s' "$IP_HOST" | tr -cd 'A-Za-z0-9.-')
  else
    msg "DHCP on $IFACE"
    tries=$((BF_TIMEOUT / 3 + 1))
    udhcpc -i "$IFACE" -n -q -t "$tries" -T 3 -s /bootfleet/udhcpc.script \
      ${BF_HOSTNAME:+-x hostname:$BF_HOSTNAME} >/dev/null 2>&1 ||
      fail network "no DHCP answer on $IFACE in ${BF_TIMEOUT}s"
    if [ -f "$STATE/dhcp.env" ]; then
      # shellcheck disable=SC1091
      . "$STATE/dhcp.env"
      [ -n "$BF_HOSTNAME" ] || BF_HOSTNAME=$(printf '%s' "$DHCP_HOSTNAME" | tr -cd 'A-Za-z0-9.-')
    fi
  fi
  has_ipv4 "$IFACE" || fail network "$IFACE has no IPv4 address"
  NET_UP=1
  ADDR=$(ip -4 addr show dev "$IFACE" | sed -n 's/.* inet \([0-9.]*\).*/\1/p' | head -n 1)
  msg "$IFACE ($BF_MAC) is $ADDR"
}

connect_nbd() {
  [ -n "$BF_NBD" ] || fail nbd "no bootfleet.nbd=IP:PORT/EXPORT on the kernel command line"
  parse_nbd "$BF_NBD" || fail nbd "bootfleet.nbd=$BF_NBD is not IP:PORT/EXPORT"
  [ -x "$NBD_HELPER" ] || [ -x "$NBD_CLIENT" ] || fail nbd "neither $NBD_HELPER nor $NBD_CLIENT is in the initrd"
  # load_modules loaded nbd from the hook's modules; a kernel with nbd built
  # in, or an initrd whose load-order missed it, gets one more try here.
  [ -d /sys/module/nbd ] || insmod /bootfleet/modules/nbd.ko 2>/dev/null || modprobe nbd 2>/dev/null
  i=0
  while [ ! -b /dev/nbd0 ]; do
    i=$((i + 1))
    [ "$i" -lt 20 ] || fail nbd "/dev/nbd0 did not appear (the nbd module did not load?)"
    sleep 0.5
  done
  NBD_HOSTS=$(server_order "$NBD_HOST")
  if [ -x "$NBD_HELPER" ]; then
    connect_nbd_helper
  else
    connect_nbd_client
  fi
  size=$(cat /sys/block/nbd0/size 2>/dev/null)
  [ "${size:-0}" -gt 0 ] || fail nbd "/dev/nbd0 is empty after connecting to export $NBD_EXPORT"
  NBD_BYTES=$((size * 512))
}

# bootfleet-nbd configures the device through the kernel's netlink NBD
# interface with a dead-connection timeout and stays (detached, argv[0]
# starting with '@' so systemd spares it at shutdown, memory locked so it
# never pages in from the root it serves) to hand the device a new connection
# whenever the kernel reports the old one dead: the root survives a restart,
# upgrade or crash of the server, or moves to the next server in the list.
connect_nbd_helper() {
  targets=
  for h in $NBD_HOSTS; do targets="$targets $h:$NBD_PORT"; done
  msg "connecting NBD export $NBD_EXPORT at$targets (bootfleet-nbd: reconnects)"
  # Read-only unless the server gives this client a private copy-on-write
  # layer (bootfleet.cow=1): then reconnects are read-write as well.
  ro=-r
  [ "$BF_COW" != 1 ] || ro=
  # shellcheck disable=SC2086
  if out=$("$NBD_HELPER" $ro -t "$BF_NBD_TIMEOUT" -D "$BF_NBD_DEAD_TIMEOUT" -c "$BF_TIMEOUT" \
    -N "$NBD_EXPORT" $targets 2>&1); then
    hp=$(printf '%s\n' "$out" | sed -n 's/.* from \([0-9.]*\):\([0-9]*\)$/\1 \2/p' | tail -n 1)
    [ -z "$hp" ] || { NBD_HOST=${hp% *}; NBD_PORT=${hp#* }; }
    msg "NBD root from $NBD_HOST:$NBD_PORT"
    return 0
  fi
  fail nbd "bootfleet-nbd -N $NBD_EXPORT$targets: $(printf '%s\n' "$out" | tail -n 2)"
}

# Debian's nbd-client (images built before bootfleet-nbd, or an architecture
# without a build): the device dies with the first lost connection.
connect_nbd_client() {
  msg "connecting NBD $NBD_HOST:$NBD_PORT export $NBD_EXPORT (nbd-client: no reconnect)"
  NBD_RO=-readonly
  [ "$BF_COW" != 1 ] || NBD_RO=
  attempt=0
  deadline=$(($(cut -d. -f1 /proc/uptime) + BF_TIMEOUT))
  while :; do
    attempt=$((attempt + 1))
    for h in $NBD_HOSTS; do
      # -systemd-mark keeps systemd from killing nbd-client at shutdown when
      # it has to stay (no netlink NBD); nbd-client 3.24 knows only the long
      # form.
      if out=$("$NBD_CLIENT" -N "$NBD_EXPORT" "$h" "$NBD_PORT" /dev/nbd0 $NBD_RO -systemd-mark 2>&1); then
        NBD_HOST=$h
        return 0
      fi
      case "$out" in
        *"nrecognized option"* | *"nknown export"* | *"o such export"* | *"not found"*)
          # Another server may hold the version this one lacks.
          [ "$h" != "${NBD_HOSTS##* }" ] && continue
          fail nbd "nbd-client $h $NBD_PORT -N $NBD_EXPORT: $(echo "$out" | tail -n 2)" ;;
      esac
    done
    if [ "$(cut -d. -f1 /proc/uptime)" -ge "$deadline" ]; then
      fail nbd "nbd-client $NBD_HOSTS $NBD_PORT -N $NBD_EXPORT failed after $attempt attempts: $(echo "$out" | tail -n 2)"
    fi
    sleep 2
  done
}

RAM_ROOT_DIR=/bootfleet/ram
RAM_ROOT_FILE=$RAM_ROOT_DIR/root.squashfs

# A root that needs no server once the client is up (config root: ram, the
# way live-boot's toram and Warewulf run): the image's squashfs is fetched
# over HTTP into a tmpfs and checked against the size and sha256 of the
# image version's manifest before anything mounts it. From then on the
# client reads nothing from any server: a restart, upgrade or outage of the
# server does not touch it. The RAM it takes is checked first, so a machine
# too small for the image stops here saying so instead of running out of
# memory later.
fetch_root_to_ram() {
  [ -n "$BF_ROOT_URL" ] || fail root "bootfleet.root=ram without bootfleet.root_url="
  case "$BF_ROOT_SHA256" in
    *[!0-9a-f]* | '') fail root "bootfleet.root_sha256=$BF_ROOT_SHA256 is not a sha256" ;;
  esac
  [ ${#BF_ROOT_SHA256} -eq 64 ] || fail root "bootfleet.root_sha256=$BF_ROOT_SHA256 is not a sha256"
  case "$BF_ROOT_BYTES" in '' | *[!0-9]*) fail root "bootfleet.root_bytes=$BF_ROOT_BYTES is not a size" ;; esac
  NBD_EXPORT=$(image_of_url "$BF_ROOT_URL") || NBD_EXPORT=$BF_ROOT_URL
  NBD_BYTES=$BF_ROOT_BYTES
  mib=$(((BF_ROOT_BYTES + 1048575) / 1048576))
  avail=$(mem_available)
  if ! ram_fits "$BF_ROOT_BYTES" "$avail" "$BF_RAM_RESERVE_MB"; then
    fail root "image $NBD_EXPORT ($mib MiB) does not fit in this machine's RAM: $((avail / 1048576)) MiB free, and the system needs $BF_RAM_RESERVE_MB MiB beside it (bootfleet.ram_reserve_mb); give the machine more memory or boot it with root: nbd"
  fi
  $BB mkdir -p "$RAM_ROOT_DIR"
  mount -t tmpfs -o "size=$((BF_ROOT_BYTES + 1048576)),mode=0700" tmpfs "$RAM_ROOT_DIR" ||
    fail root "cannot mount a tmpfs of $mib MiB for the image"
  msg "fetching the root into RAM: $BF_ROOT_URL ($mib MiB)"
  # At least 1 MiB/s, and 2 minutes for the server to answer.
  secs=$((120 + mib))
  attempt=0
  until http_get "$BF_ROOT_URL" "$RAM_ROOT_FILE" "$secs"; do
    attempt=$((attempt + 1))
    [ "$attempt" -lt 3 ] || fail root "cannot fetch $BF_ROOT_URL ($attempt attempts)"
    msg "fetching $BF_ROOT_URL failed; again in 2 s"
    sleep 2
  done
  got=$(wc -c <"$RAM_ROOT_FILE")
  [ "$got" = "$BF_ROOT_BYTES" ] ||
    fail root "$BF_ROOT_URL is $got bytes, its manifest says $BF_ROOT_BYTES: not this image version"
  sum=$(sha256sum "$RAM_ROOT_FILE" | cut -d' ' -f1)
  [ "$sum" = "$BF_ROOT_SHA256" ] ||
    fail root "$BF_ROOT_URL has sha256 $sum, its manifest says $BF_ROOT_SHA256: not this image version, or damaged"
  ROOT_SERVER=${BF_ROOT_URL#http://}
  ROOT_SERVER=${ROOT_SERVER%%/*}
  msg "root in RAM: $NBD_EXPORT, $mib MiB, sha256 checked"
}

# bootfleet.nfs=IP:/PATH -> NFS_HOST NFS_PATH
parse_nfs() {
  case "$1" in
    *:/*) ;;
    *) return 1 ;;
  esac
  NFS_HOST=${1%%:*}
  NFS_PATH=${1#*:}
  [ -n "$NFS_HOST" ] || NFS_HOST=$BF_SERVER
  is_ipv4 "$NFS_HOST"
}

# The root tree read-only over NFSv3 at /bootfleet/ro. The kernel's own
# mount client is used (busybox passes the options through): addr= because
# the kernel resolves no names, nolock because nothing is written, hard so
# reads wait out a server restart (RFC 1813's stateless design lets them).
mount_nfs() {
  parse_nfs "$BF_NFS" || fail nfs "bootfleet.nfs=$BF_NFS is not IP:/PATH"
  $BB mkdir -p /bootfleet/ro
  msg "mounting NFS $NFS_HOST:$NFS_PATH"
  NBD_EXPORT=$NFS_PATH
  NBD_HOST=$NFS_HOST
  NBD_PORT=2049
  BF_ROOT=nfs
  deadline=$(($(cut -d. -f1 /proc/uptime) + BF_TIMEOUT))
  until out=$(mount -t nfs -o "ro,vers=3,proto=tcp,nolock,hard,timeo=30,addr=$NFS_HOST" \
    "$NFS_HOST:$NFS_PATH" /bootfleet/ro 2>&1); do
    if [ "$(cut -d. -f1 /proc/uptime)" -ge "$deadline" ]; then
      fail nfs "cannot mount $NFS_HOST:$NFS_PATH over NFS: $out $(dmesg | tail -n 2)"
    fi
    sleep 2
  done
}

mount_root() {
  $BB mkdir -p /bootfleet/ro /bootfleet/rw
  if [ "$BF_ROOT" = ram ]; then
    mount -t squashfs -o ro,loop "$RAM_ROOT_FILE" /bootfleet/ro ||
      fail mount "cannot mount $RAM_ROOT_FILE (image $NBD_EXPORT) as squashfs: $(dmesg | tail -n 3)"
  elif [ -z "$BF_NFS" ]; then
    mount -t squashfs -o ro /dev/nbd0 /bootfleet/ro ||
      fail mount "cannot mount /dev/nbd0 (export $NBD_EXPORT) as squashfs: $(dmesg | tail -n 3)"
  fi
  UPPER=tmpfs
  if [ -n "$BF_SCRATCH" ]; then
    dev=
    i=0
    while [ "$i" -lt $((BF_TIMEOUT * 2)) ]; do
      dev=$(findfs "LABEL=$BF_SCRATCH" 2>/dev/null) && break
      dev=
      i=$((i + 1))
      sleep 0.5
    done
    if [ -n "$dev" ] && mount "$dev" /bootfleet/rw; then
      # Wiped at every boot: an upper layer left by another image version
      # would shadow that version's files.
      rm -rf /bootfleet/rw/bootfleet-upper /bootfleet/rw/bootfleet-work
      mkdir -p /bootfleet/rw/bootfleet-upper /bootfleet/rw/bootfleet-work
      UPPER_DIR=/bootfleet/rw/bootfleet-upper
      WORK_DIR=/bootfleet/rw/bootfleet-work
      UPPER="scratch:$dev"
    else
      msg "no partition labelled $BF_SCRATCH (or it does not mount); using RAM (tmpfs)"
    fi
  fi
  if [ "$UPPER" = tmpfs ]; then
    mount -t tmpfs -o mode=0755 tmpfs /bootfleet/rw || fail mount "cannot mount a tmpfs for the overlay"
    mkdir -p /bootfleet/rw/upper /bootfleet/rw/work
    UPPER_DIR=/bootfleet/rw/upper
    WORK_DIR=/bootfleet/rw/work
  fi
  mount -t overlay overlay -o "lowerdir=/bootfleet/ro,upperdir=$UPPER_DIR,workdir=$WORK_DIR" /newroot ||
    fail mount "cannot mount the overlay: $(dmesg | tail -n 3)"
  msg "root mounted: $NBD_EXPORT, writable layer on $UPPER"
}

set_hostname() {
  [ -n "$BF_HOSTNAME" ] || return 0
  hostname "$BF_HOSTNAME"
  mkdir -p /newroot/etc
  echo "$BF_HOSTNAME" >/newroot/etc/hostname
  short=${BF_HOSTNAME%%.*}
  if ! grep -qs "[[:space:]]$short\([[:space:]]\|$\)" /newroot/etc/hosts; then
    if [ "$short" = "$BF_HOSTNAME" ]; then
      printf '127.0.1.1\t%s\n' "$short" >>/newroot/etc/hosts
    else
      printf '127.0.1.1\t%s %s\n' "$BF_HOSTNAME" "$short" >>/newroot/etc/hosts
    fi
  fi
}

LAYER_FILES=0
LAYER_SOURCES=

lay_over() {
  n=$(find "$1" -mindepth 1 ! -type d | wc -l)
  cp -a "$1/." /newroot/ || fail layers "cannot copy the layer files from $2 into the root"
  LAYER_FILES=$((LAYER_FILES + n))
  LAYER_SOURCES="$LAYER_SOURCES${LAYER_SOURCES:+,}$2"
}

apply_layers() {
  if [ -d /bootfleet/layers ]; then
    lay_over /bootfleet/layers initrd
  fi
  if [ -n "$BF_LAYERS" ]; then
    rm -rf /tmp/layers /tmp/layers.cpio
    mkdir -p /tmp/layers
    http_get "$BF_LAYERS" /tmp/layers.cpio 60 ||
      fail layers "cannot fetch the layer cpio $BF_LAYERS"
    if gzip -t /tmp/layers.cpio 2>/dev/null; then
      (cd /tmp/layers && zcat /tmp/layers.cpio | cpio -i -d -m -u 2>/dev/null) ||
        fail layers "$BF_LAYERS is not a gzip'd cpio archive"
    else
      (cd /tmp/layers && cpio -i -d -m -u </tmp/layers.cpio 2>/dev/null) ||
        fail layers "$BF_LAYERS is not a cpio archive"
    fi
    if [ -d /tmp/layers/bootfleet/layers ]; then
      lay_over /tmp/layers/bootfleet/layers http
    else
      lay_over /tmp/layers http
    fi
    rm -rf /tmp/layers /tmp/layers.cpio
  fi
  msg "layers applied: $LAYER_FILES files from ${LAYER_SOURCES:-nowhere}"
}

configure_root() {
  # DNS from DHCP, unless the image manages resolv.conf itself (a symlink).
  if [ -n "$DNS" ] && [ ! -L /newroot/etc/resolv.conf ]; then
    {
      [ -z "$DOMAIN" ] || echo "search $DOMAIN"
      for d in $DNS; do echo "nameserver $d"; done
    } >/newroot/etc/resolv.conf
  fi
  if [ -n "$BF_SYSLOG" ]; then
    case "$BF_SYSLOG" in *:*) ;; *) BF_SYSLOG="$BF_SYSLOG:514" ;; esac
    if [ -d /newroot/etc/rsyslog.d ]; then
      echo "*.* @$BF_SYSLOG" >/newroot/etc/rsyslog.d/90-bootfleet.conf
    fi
    if [ -f /newroot/etc/default/busybox-syslogd ]; then
      echo "SYSLOG_OPTS=\"-L -R $BF_SYSLOG\"" >>/newroot/etc/default/busybox-syslogd
    fi
  fi
  mkdir -p /newroot/etc/bootfleet
  {
    echo "BOOTFLEET_SERVER=$(shquote "$BF_SERVER")"
    echo "BOOTFLEET_SERVERS=$(shquote "$BF_SERVERS")"
    echo "BOOTFLEET_HTTP=$(shquote "$BF_HTTP")"
    echo "BOOTFLEET_MAC=$(shquote "$BF_MAC")"
    echo "BOOTFLEET_EXPORT=$(shquote "$NBD_EXPORT")"
    echo "BOOTFLEET_ROOT=$(shquote "${BF_ROOT:-nbd}")"
    echo "BOOTFLEET_IFACE=$(shquote "$IFACE")"
    echo "BOOTFLEET_ADDRESS=$(shquote "$ADDR")"
    echo "BOOTFLEET_UPPER=$(shquote "$UPPER")"
  } >/newroot/etc/bootfleet/boot.env
}

start_init() {
  init=$BF_INIT
  if [ ! -e "/newroot$init" ] && [ ! -L "/newroot$init" ]; then
    fail init "$init does not exist in the image (set init= or bootfleet.init=)"
  fi
  for d in dev proc sys run; do mkdir -p "/newroot/$d"; done
  report init "$(jobj init "$init")"
  msg "starting $init"
  mount --move /dev /newroot/dev
  mount --move /proc /newroot/proc
  mount --move /sys /newroot/sys
  mount --move /run /newroot/run
  exec switch_root /newroot "$init"
  # Only reached when switch_root could not exec.
  mount -t proc proc /proc 2>/dev/null
  fail init "switch_root to $init failed"
}

main() {
  setup_base
  STAGE=cmdline
  parse_cmdline "$(cat /proc/cmdline)"
  [ -z "$BF_DEBUG" ] || set -x
  msg "client hook starting"
  [ -f /bootfleet/hook.conf ] && . /bootfleet/hook.conf
  load_modules
  setup_network
  report initrd "$(jobj ip "$ADDR" iface "$IFACE" kernel "$(uname -r)" image "${BOOTFLEET_IMAGE:-}" hook_version "${BOOTFLEET_HOOK_VERSION:-}")"
  if [ "$BF_ROOT" = ram ]; then
    fetch_root_to_ram
  elif [ -n "$BF_NFS" ]; then
    mount_nfs
  else
    connect_nbd
  fi
  mount_root
  report root-mounted "$(jobj export "$NBD_EXPORT" server "${ROOT_SERVER:-$NBD_HOST:$NBD_PORT}" bytes "$NBD_BYTES" upper "$UPPER" root "${BF_ROOT:-nbd}")"
  set_hostname
  apply_layers
  configure_root
  report layers-applied "$(jobj files "$LAYER_FILES" sources "$LAYER_SOURCES" hostname "$BF_HOSTNAME")"
  start_init
}

[ -n "$BOOTFLEET_LIB" ] || main "$@"
