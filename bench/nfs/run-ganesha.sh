#!/bin/sh
# nfs-ganesha for the NFS benchmark, run by nfs-bench.ts inside the
# benchmark's network namespace and a private mount namespace:
#   unshare -m --propagation private sh run-ganesha.sh CONFIG LOG
# Ganesha refuses to start unless it can register NFSv3 with rpcbind, so an
# rpcbind runs beside it; /run is a private tmpfs so neither touches the
# host's rpcbind socket or state. SIGTERM stops both, by PID.
set -e
mount -t tmpfs tmpfs /run
mkdir -p /run/rpcbind
rpcbind -f -w &
rb=$!
sleep 0.5
ganesha.nfsd -F -L "$2" -f "$1" -p /run/ganesha.pid &
g=$!
trap 'kill $g 2>/dev/null; wait $g; kill $rb 2>/dev/null' TERM INT
wait $g || true
kill $rb 2>/dev/null || true
