#!/bin/sh
# Routes from the nodes of east-2 to the other clusters of flat network "east".
# Pods of one flat network reach each other directly, so each node needs a route to the
# other clusters' pod and service ranges. Run as root on every node of this cluster.
set -eu
add_route() { ip route show "$1" | grep -q . || ip route add "$1" via "$2"; }
add_route 10.100.0.0/16 10.1.0.10  # east-1
add_route 10.101.0.0/16 10.1.0.10  # east-1
