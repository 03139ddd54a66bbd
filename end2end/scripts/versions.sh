# Sourced by setup.sh and env.sh: the Kubernetes and etcd releases the local stack runs (built from the Go
# module proxy by build-kube.sh, cached in $BERTH_CACHE/kube-<version>). The newest release the proxy
# serves, and etcd's current minor.
: "${KUBE_VERSION:=v1.37.2}"
: "${ETCD_VERSION:=v3.6.16}"
export KUBE_VERSION ETCD_VERSION
