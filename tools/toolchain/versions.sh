# Pinned toolchain versions, read by setup.sh and run.sh.
NODE_MAJOR=24            # Node LTS mayday targets (engines: >=22.12)
NODE_MIN_MAJOR=22        # an older Node on PATH gets a private Node $NODE_MAJOR in .tools/node
HELM_VERSION=4.3.1       # built with `go install` when no helm v4.3.x is on PATH
HELM_SERIES=4.3          # a helm on PATH is used when its major.minor is this one
