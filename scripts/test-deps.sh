#!/usr/bin/env bash
# Installs, from Debian packages, what the optional test suites need and this machine
# lacks. Quiet when everything is there. It never fails the test run: without root or
# apt-get, or when the install fails, it prints what is missing and the command that
# installs it, exits 0, and the suites that need it skip with a reason.
set -uo pipefail

# Debian's python3-* packages install modules for this interpreter only; a python3 that
# comes first in PATH (pyenv, a virtualenv) does not see them.
DEBIAN_PYTHON=/usr/bin/python3

# One function per dependency, named after its Debian package ("-" becomes "_"):
# it succeeds when the dependency is usable. To add one, write its function and
# append the package to DEPENDENCIES.
python3_zmq() { "$DEBIAN_PYTHON" -c 'import zmq' >/dev/null 2>&1; }
python3_msgpack() { "$DEBIAN_PYTHON" -c 'import msgpack' >/dev/null 2>&1; }
# Debian installs nats-server in /usr/sbin, which is not on every user's PATH; the
# test helpers look there too.
redis_server() { PATH="$PATH:/usr/sbin:/sbin" command -v redis-server >/dev/null; }
nats_server() { PATH="$PATH:/usr/sbin:/sbin" command -v nats-server >/dev/null; }
# Debian's etcd-server is installed as a service; the tests start their own etcd.
etcd_server() { PATH="$PATH:/usr/sbin:/sbin" command -v etcd >/dev/null; }

DEPENDENCIES=(python3-zmq python3-msgpack redis-server nats-server etcd-server)

missing=()
for package in "${DEPENDENCIES[@]}"; do
  "${package//-/_}" || missing+=("$package")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

command="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "test-deps: missing ${missing[*]} (the suites that need them will skip); install with: sudo $command"
  exit 0
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
install() { apt-get install -y --no-install-recommends "${missing[@]}" >>"$log" 2>&1; }
# The package lists may be missing or stale: refresh them only when the install needs it.
if ! install && ! { apt-get update >>"$log" 2>&1 && install; }; then
  tail -n 20 "$log" >&2
  echo "test-deps: could not install ${missing[*]} (the suites that need them will skip); try: $command"
fi
exit 0
