#!/bin/sh
# Installs the Debian packages hive needs that are missing, and those named
# as arguments (make valgrind: valgrind). Idempotent and quick when
# everything is there (one dpkg-query).
set -eu

PACKAGES="build-essential pkg-config clang libclang-rt-dev
libzmq3-dev libprotobuf-c-dev protobuf-c-compiler libusb-1.0-0-dev
libcriterion-dev libssl-dev libsqlite3-dev libjansson-dev libedit-dev
bluez tshark python3 iproute2
python3-zmq python3-protobuf protobuf-compiler $*"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing missing Debian packages:$missing" >&2
if [ "$(id -u)" -eq 0 ]; then
	SUDO=""
elif command -v sudo >/dev/null 2>&1; then
	SUDO="sudo"
else
	echo "deps: missing packages:$missing; run as root: apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer no without a prompt.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections 2>/dev/null || true
if ! $SUDO apt-get install -y -q --no-install-recommends $missing </dev/null >/tmp/hive-deps.log 2>&1; then
	$SUDO apt-get update -q </dev/null >>/tmp/hive-deps.log 2>&1 || true
	if ! $SUDO apt-get install -y -q --no-install-recommends $missing </dev/null >>/tmp/hive-deps.log 2>&1; then
		echo "deps: apt-get install failed; see /tmp/hive-deps.log" >&2
		tail -5 /tmp/hive-deps.log >&2
		exit 1
	fi
fi
echo "deps: done" >&2
