#!/bin/sh
# Routes from the nodes of edge-2 to the other clusters of flat network "edge".
# Pods of one flat network reach each other directly, so each node needs a route to the
# other clusters' pod and service ranges. Run as root on every node of this cluster.
set -eu
add_route() { ip route show "$1" | grep -q . || ip route add "$1" via "$2"; }
add_route 10.120.0.0/16 10.3.0.10  # edge-1
add_route 10.121.0.0/16 10.3.0.10  # edge-1
