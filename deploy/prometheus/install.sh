#!/usr/bin/env bash
# Installs Prometheus and promtool (Debian's `prometheus` package puts both in /usr/bin) for the tests:
# tests/unit/dashboards.spec.ts runs `promtool check rules` and `promtool test rules` on alerts.yaml,
# tests/e2e/observability.test.ts starts its own Prometheus on a free port. Does nothing when promtool
# is already there. For CI and developer machines running Debian or Ubuntu.
#
# The package starts a Prometheus service on :9090 when it can (systemd or its init script). The tests
# need none and a stray one would hold the port and scrape nothing, so this script stops it again.
set -euo pipefail

log() { printf '[prometheus-install %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

if command -v promtool >/dev/null && command -v prometheus >/dev/null; then
  log "present: $(promtool --version 2>&1 | head -n 1)"
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  log "ERROR: no apt-get here; install Prometheus >= 2.42 so that 'prometheus' and 'promtool' are on PATH" >&2
  exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi

log "apt-get update"
"${sudo[@]}" apt-get update
log "apt-get install prometheus"
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends prometheus

# Stop the service the package may have started. Without systemd the init script is the way; the
# process left after that (if any) is the service's, which runs as the `prometheus` system user.
if [ -x /etc/init.d/prometheus ]; then
  log "stopping the packaged service (/etc/init.d/prometheus stop)"
  "${sudo[@]}" /etc/init.d/prometheus stop || true
fi
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  log "disabling the packaged systemd unit"
  "${sudo[@]}" systemctl disable --now prometheus || true
fi
for pid in $(pgrep -u prometheus -x prometheus || true); do
  log "stopping the packaged Prometheus process ${pid}"
  "${sudo[@]}" kill "${pid}" || true
done

for tool in prometheus promtool; do
  command -v "$tool" >/dev/null || { log "ERROR: installed the package, yet no '$tool' on PATH" >&2; exit 1; }
done
log "installed: $(promtool --version 2>&1 | head -n 1)"
