# Pinned toolchain versions, read by setup.sh and run.sh.
NODE_MAJOR=24            # Node LTS mayday targets (engines: >=22.12)
NODE_MIN_MAJOR=22        # an older Node on PATH gets a private Node $NODE_MAJOR in .tools/node
HELM_VERSION=4.3.1       # built with `go install` when no helm v4.3.x is on PATH
HELM_SERIES=4.3          # a helm on PATH is used when its major.minor is this one
# The live tests' servers are pinned by their Go modules: tools/toolchain/go/{kubernetes,etcd,argocd}/go.mod
# (k8s.io/kubernetes v1.35.4, etcd 3.6.16, Argo CD 3.6.1 with Go 1.27.3); their CRDs by platform/crds/crds.yaml.
