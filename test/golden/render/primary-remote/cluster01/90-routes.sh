#!/bin/sh
# Routes from the nodes of cluster01 to the other clusters of flat network "network1".
# Pods of one flat network reach each other directly, so each node needs a route to the
# other clusters' pod and service ranges. Run as root on every node of this cluster.
set -eu
add_route() { ip route show "$1" | grep -q . || ip route add "$1" via "$2"; }
add_route 10.20.0.0/16 172.18.0.3  # cluster02
add_route 10.21.0.0/16 172.18.0.3  # cluster02
