# Sourced by setup.sh and env.sh: the Kubernetes and etcd releases the local stack runs (built from the Go
# module proxy by build-kube.sh, cached in $BERTH_CACHE/kube-<version>): the newest release the proxy
# serves, the newest patch of the oldest minor Berth supports (the compatibility layer), and etcd's current
# minor. Helm and the CRDs of the chart's optional objects come from the Go module proxy too.
: "${KUBE_VERSION:=v1.37.2}"
: "${KUBE_COMPAT_VERSION:=v1.34.4}"
: "${ETCD_VERSION:=v3.6.16}"
: "${HELM_VERSION:=v3.22.0}"
: "${GATEWAY_API_VERSION:=v1.6.3}"
: "${PROMETHEUS_OPERATOR_VERSION:=v0.85.0}"
# Keycloak from Maven Central (org.keycloak:keycloak-quarkus-dist), the identity provider platforms run.
: "${KEYCLOAK_VERSION:=26.7.3}"
# Dex from the Go module proxy (build-dex.sh through end2end/dex/wrapper, which pins the release commit).
: "${DEX_VERSION:=v2.45.1}"
# leptosfmt, which formats the view! macros (setup.sh installs it, style.sh checks with it): another
# version may lay them out differently.
: "${LEPTOSFMT_VERSION:=0.1.33}"
export KUBE_VERSION KUBE_COMPAT_VERSION ETCD_VERSION HELM_VERSION GATEWAY_API_VERSION PROMETHEUS_OPERATOR_VERSION \
  KEYCLOAK_VERSION DEX_VERSION LEPTOSFMT_VERSION
# Keycloak runs on the newest JDK installed (Temurin beside Debian's OpenJDK 17; 17 is enough).
: "${KEYCLOAK_JAVA_HOME:=$(ls -d /usr/lib/jvm/temurin-*-jdk-* /usr/lib/jvm/java-*-openjdk-* 2>/dev/null | sort -t- -k2,2n | tail -1)}"
export KEYCLOAK_JAVA_HOME
