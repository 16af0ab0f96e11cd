#!/usr/bin/env bash
# Copies the files the chart renders from (CRDs, alert rules, dashboards, the gateway's RBAC) from
# their one source in the repository into helm/kentaur/files/, where `.Files.Get` can read them
# (Helm cannot read outside the chart). `--check` changes nothing and exits 1 when a copy drifted;
# tests/unit/helm-chart-files.spec.ts runs the same comparison in every test run.
#
#   bash helm/kentaur/sync-crds.sh           # after `npm run generate` or an edit under deploy/
#   bash helm/kentaur/sync-crds.sh --check   # CI
set -euo pipefail

chart="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "${chart}/../.." && pwd)"
check=false
case "${1:-}" in
  --check) check=true ;;
  '') ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

# source (relative to the repository root) -> copy (relative to the chart)
pairs=(
  "libs/api/generated/kentaur-crds.yaml files/crds/kentaur-crds.yaml"
  "deploy/prometheus/alerts.yaml files/prometheus/alerts.yaml"
  "deploy/rbac/gateway.yaml files/rbac/gateway.yaml"
)
for f in "${root}"/deploy/grafana/dashboards/*.json; do
  pairs+=("deploy/grafana/dashboards/$(basename "$f") files/dashboards/$(basename "$f")")
done

drifted=0
for pair in "${pairs[@]}"; do
  read -r src dst <<<"${pair}"
  if cmp -s "${root}/${src}" "${chart}/${dst}"; then continue; fi
  if [[ "${check}" == true ]]; then
    echo "drift: helm/kentaur/${dst} differs from ${src} (run: bash helm/kentaur/sync-crds.sh)" >&2
    drifted=1
  else
    mkdir -p "$(dirname "${chart}/${dst}")"
    cp "${root}/${src}" "${chart}/${dst}"
    echo "copied ${src} -> helm/kentaur/${dst}"
  fi
done
# A dashboard removed from deploy/ must go from the chart too.
for f in "${chart}"/files/dashboards/*.json; do
  [[ -e "$f" ]] || continue
  if [[ ! -e "${root}/deploy/grafana/dashboards/$(basename "$f")" ]]; then
    if [[ "${check}" == true ]]; then
      echo "drift: helm/kentaur/files/dashboards/$(basename "$f") has no source in deploy/grafana/dashboards" >&2
      drifted=1
    else
      rm -- "$f"
      echo "removed helm/kentaur/files/dashboards/$(basename "$f")"
    fi
  fi
done
exit "${drifted}"
