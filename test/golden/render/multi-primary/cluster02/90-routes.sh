#!/bin/sh
# Routes from the nodes of cluster02 to the other clusters of flat network "network1".
# Pods of one flat network reach each other directly, so each node needs a route to the
# other clusters' pod and service ranges. Run as root on every node of this cluster.
set -eu
add_route() { ip route show "$1" | grep -q . || ip route add "$1" via "$2"; }
add_route 10.10.0.0/16 172.18.0.2  # cluster01
add_route 10.11.0.0/16 172.18.0.2  # cluster01
