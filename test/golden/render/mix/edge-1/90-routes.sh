#!/bin/sh
# Routes from the nodes of edge-1 to the other clusters of flat network "edge".
# Pods of one flat network reach each other directly, so each node needs a route to the
# other clusters' pod and service ranges. Run as root on every node of this cluster.
set -eu
add_route() { ip route show "$1" | grep -q . || ip route add "$1" via "$2"; }
add_route 10.130.0.0/16 10.3.0.20  # edge-2
add_route 10.131.0.0/16 10.3.0.20  # edge-2
