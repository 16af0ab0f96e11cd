#!/usr/bin/env bash
# Kentaur on kind, for users with Docker: creates the cluster (deploy/kind/kind-config.yaml), builds
# the image (deploy/docker/Dockerfile) and loads it into the nodes, adds fake accelerator nodes (the
# default sandbox fleet: the vendors' labels, taints and extended resources, kept alive by KWOK in
# the cluster), installs the chart, runs `helm test`, and runs the e2e suite against the cluster.
#
#   bash deploy/kind/up.sh              # all of it (re-running reuses the cluster)
#   bash deploy/kind/up.sh --no-e2e     # stop after `helm test`
#   bash deploy/kind/up.sh --down       # delete the cluster
#
# Needs: docker, kind, node + npm (after `npm install`), and kubectl and helm on PATH or built by
# `npm run sandbox:build`. Environment: KENTAUR_KIND_CLUSTER (default kentaur), KIND_NODE_IMAGE.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "${root}"

cluster="${KENTAUR_KIND_CLUSTER:-kentaur}"
image="kentaur:kind"
namespace="kentaur-system"
release="kentaur"
state_dir="${root}/.kentaur/kind"
kubeconfig="${state_dir}/kubeconfig"
fleet="${root}/deploy/sandbox/fleets/default.yaml"
run_e2e=true
down=false

for arg in "$@"; do
  case "${arg}" in
    --no-e2e) run_e2e=false ;;
    --down) down=true ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "up.sh: unknown argument ${arg} (see --help)" >&2; exit 2 ;;
  esac
done

step() { printf '\n== %s\n' "$*"; }
die() { echo "up.sh: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "$1 is not installed: $2"; }

# shellcheck disable=SC1091 # the versions the sandbox pins (KWOK_VERSION, KUBE_VERSION, HELM_VERSION)
source "${root}/deploy/sandbox/versions.env"

# kubectl and helm: from PATH, else the ones the sandbox tooling built.
bin_cache="${KENTAUR_BIN_CACHE:-${XDG_CACHE_HOME:-${HOME}/.cache}/kentaur/bin}"
tool() {
  local name="$1" cached="$2"
  if command -v "${name}" >/dev/null 2>&1; then
    command -v "${name}"
  elif [[ -x "${cached}" ]]; then
    echo "${cached}"
  else
    die "${name} is not on PATH and not built (run: npm run sandbox:build)"
  fi
}

need kind "https://kind.sigs.k8s.io/docs/user/quick-start/#installation"
if [[ "${down}" == true ]]; then
  kind delete cluster --name "${cluster}"
  rm -f -- "${kubeconfig}"
  exit 0
fi
need docker "https://docs.docker.com/get-docker/"
need node "Node.js >= 20.19 (see README.md)"
need npm "Node.js >= 20.19 (see README.md)"
kubectl_bin="$(tool kubectl "${bin_cache}/kubernetes-v${KUBE_VERSION}/kubectl")"
helm_bin="$(tool helm "${bin_cache}/helm-v${HELM_VERSION}/helm")"
k() { "${kubectl_bin}" --kubeconfig "${kubeconfig}" "$@"; }
h() { "${helm_bin}" --kubeconfig "${kubeconfig}" "$@"; }
mkdir -p "${state_dir}"

step "build (the fleet is rendered by libs/sandbox)"
[[ -d node_modules ]] || die "node_modules is missing: run npm install first"
npm run build --silent

step "kind cluster ${cluster}"
if kind get clusters 2>/dev/null | grep -qx "${cluster}"; then
  kind export kubeconfig --name "${cluster}" --kubeconfig "${kubeconfig}"
else
  create=(kind create cluster --name "${cluster}" --config "${root}/deploy/kind/kind-config.yaml"
    --kubeconfig "${kubeconfig}" --wait 180s)
  if [[ -n "${KIND_NODE_IMAGE:-}" ]]; then create+=(--image "${KIND_NODE_IMAGE}"); fi
  "${create[@]}"
fi
minor="$(k version -o json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(parseInt(JSON.parse(s).serverVersion.minor,10)))')"
if (( minor < 34 )); then
  die "the cluster runs Kubernetes 1.${minor}; Kentaur needs >= 1.34 (set KIND_NODE_IMAGE=kindest/node:v1.35.x and run --down first)"
fi

step "image ${image}"
docker build -f deploy/docker/Dockerfile -t "${image}" .
kind load docker-image "${image}" --name "${cluster}"

step "KWOK ${KWOK_VERSION} in the cluster, with the sandbox's stages"
k apply -f "https://github.com/kubernetes-sigs/kwok/releases/download/v${KWOK_VERSION}/kwok.yaml"
# KWOK itself must run on the real worker, never on a fake node it would only pretend to run on.
k -n kube-system patch deployment kwok-controller --type=merge \
  -p '{"spec":{"template":{"spec":{"nodeSelector":{"kentaur.io/node-role":"system"}}}}}'
k -n kube-system rollout status deployment/kwok-controller --timeout=180s
k apply -f deploy/sandbox/kwok/stages.yaml

step "fake accelerator nodes from ${fleet#"${root}/"}"
# One JSON document per line: the RuntimeClasses the vendors' operators create, then each Node
# (labels, taints, KWOK's annotation) without status; then "status <name> <status JSON>" lines.
render_fleet='
const { loadFleet, fleetNodes } = require("./libs/sandbox/dist");
const fleet = loadFleet(process.argv[1]);
for (const name of fleet.runtimeClasses)
  console.log("object " + JSON.stringify({ apiVersion: "node.k8s.io/v1", kind: "RuntimeClass", metadata: { name }, handler: name }));
for (const node of fleetNodes(fleet)) {
  const { status, ...object } = node;
  console.log("object " + JSON.stringify(object));
  console.log("status " + node.metadata.name + " " + JSON.stringify({ status: { capacity: status.capacity, allocatable: status.allocatable } }));
}'
rendered="${state_dir}/fleet.txt"
node -e "${render_fleet}" "${fleet}" >"${rendered}"
while read -r what rest; do
  case "${what}" in
    object) printf '%s\n' "${rest}" | k apply -f - ;;
    status)
      name="${rest%% *}"
      # The extended resources (nvidia.com/gpu, amd.com/gpu, habana.ai/gaudi, tenstorrent.com/chip)
      # as a device plugin would advertise them: in the node's status.
      k patch node "${name}" --subresource=status --type=merge -p "${rest#* }" >/dev/null
      ;;
  esac
done <"${rendered}"
k wait --for=condition=Ready node -l type=kwok --timeout=180s

step "helm install ${release} (namespace ${namespace})"
h upgrade --install "${release}" helm/kentaur --namespace "${namespace}" --create-namespace \
  -f deploy/kind/values.yaml --wait --timeout 5m
step "helm test"
h test "${release}" --namespace "${namespace}" --logs --timeout 5m

if [[ "${run_e2e}" == true ]]; then
  step "e2e suite against the cluster (KENTAUR_TEST_KUBECONFIG=${kubeconfig#"${root}/"})"
  # The e2e files start their own controller per file (in this process, on the fake nodes' run
  # times); the chart's controller would admit their workloads too, so it pauses while they run.
  k -n "${namespace}" scale deployment "${release}-controller" --replicas=0
  k -n "${namespace}" rollout status deployment "${release}-controller" --timeout=120s
  command -v prometheus >/dev/null 2>&1 ||
    echo "note: no prometheus binary; tests/e2e/observability.test.ts needs it (bash deploy/prometheus/install.sh)"
  status=0
  KENTAUR_TEST_KUBECONFIG="${kubeconfig}" CI=true npx jest --selectProjects e2e || status=$?
  k -n "${namespace}" scale deployment "${release}-controller" --replicas=1
  [[ "${status}" -eq 0 ]] || die "e2e failed (exit ${status}); the cluster is kept for a look: export KUBECONFIG=${kubeconfig}"
fi

step "ready"
cat <<EOF
export KUBECONFIG=${kubeconfig}
kubectl get nodes -L type,kentaur.io/node-role
kubectl get acceleratorpools
kubectl -n ${namespace} port-forward svc/${release}-gateway 4000:80    # then: curl http://127.0.0.1:4000/readyz
bash deploy/kind/up.sh --down                                          # delete the cluster
EOF
