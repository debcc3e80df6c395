#!/usr/bin/env bash
# Start virtlogd and libvirtd (QEMU driver, qemu:///system) if they are not
# running, on a machine without systemd.  Idempotent: the quickstart, the
# test suites and CI all call it.  Needs root.  Exits 0 once
# `virsh -c qemu:///system uri` answers, 1 with a message otherwise.
set -u

uri=qemu:///system
answer() { timeout 5 virsh -q -c "$uri" uri >/dev/null 2>&1; }

conf=/etc/libvirt/qemu.conf
# swtpm runs as root too: libvirt's default (tss) cannot write the local
# CA's files once anything made them as root, and fails the guest's start.
want='user = "root"
group = "root"
swtpm_user = "root"
swtpm_group = "root"
security_driver = "none"'

# a daemon that answers, started with this configuration, is what we want
answer && [ "$(cat "$conf" 2>/dev/null)" = "$want" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "libvirtd-start: need root to start libvirtd" >&2
  exit 1
fi
for c in libvirtd virtlogd virsh; do
  command -v "$c" >/dev/null 2>&1 || {
    echo "libvirtd-start: $c missing (install libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients)" >&2
    exit 1
  }
done

mkdir -p /var/log/libvirt/qemu /var/run/libvirt /var/lib/libvirt/images
getent group kvm >/dev/null || groupadd -r kvm
getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
getent group libvirt >/dev/null || groupadd -r libvirt
id libvirt-qemu >/dev/null 2>&1 || useradd -r -g kvm -s /usr/sbin/nologin libvirt-qemu
# running NAME: this host's daemon NAME runs (by its pid file: a second
# host's daemons, tests/second-host.sh, have the same process names)
running() {
  local p
  p=$(cat "/run/$1.pid" 2>/dev/null) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null
}
if [ "$(cat "$conf" 2>/dev/null)" != "$want" ]; then
  printf '%s\n' "$want" > "$conf"
  # a daemon started with another configuration must be restarted
  if running libvirtd; then
    pid=$(cat /run/libvirtd.pid)
    kill "$pid"
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
fi

# A daemon must not keep any descriptor of its starter open: bats, make and
# a `quickstart.sh | tee` wait for their pipes to close, and would wait for
# as long as the daemon lives.  So close everything above stderr first.
daemon() {
  (
    for fd in /proc/"$BASHPID"/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] && eval "exec $fd>&-"
    done
    exec "$@" </dev/null >/dev/null 2>&1
  )
}
running virtlogd || daemon virtlogd -d
running libvirtd || daemon libvirtd -d

for _ in $(seq 1 100); do
  answer && exit 0
  sleep 0.1
done
echo "libvirtd-start: libvirtd did not answer on $uri within 10 s (see /var/log/libvirt/libvirtd.log)" >&2
exit 1
