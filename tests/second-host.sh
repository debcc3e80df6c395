#!/usr/bin/env bash
# vkit — a second libvirt host on this machine, for the migration and
# many-host tests.
#
#   tests/second-host.sh start   start it (idempotent), print its env file
#   tests/second-host.sh stop    stop it by its recorded pids, remove it
#   tests/second-host.sh status  exit 0 when it answers
#   tests/second-host.sh start-libvirtd
#                                start its libvirtd again (a test killed it)
#
# The host is a libvirtd of its own in new mount, network and UTS
# namespaces: its own /run, /etc/libvirt, /var/lib/libvirt and
# /var/log/libvirt (directories under the state directory bound onto
# those paths), its own host UUID and hostname.  Everything else of the
# file system is shared with this host, so an image outside those
# directories is "shared storage" (still not to libvirt: migrate it with
# --unsafe), one under /var/lib/libvirt/images exists on one host only.
#
# It is reached three ways (written to STATE/env, one NAME=VALUE a line,
# quoted for the shell's `source`):
#   HOST2_UNIX  qemu+unix:///system?socket=STATE/run/libvirt/libvirt-sock
#   HOST2_TCP   qemu+tcp://ADDR/system  (listen_tcp, no auth, on a veth
#               pair whose other end, HOST1_ADDR, is in this namespace)
#   HOST2_SSH   qemu+ssh://root@ADDR/system through an sshd in the
#               namespace with a key made for the test; `command=` points
#               at a wrapper that keeps ssh's known hosts in STATE.
# Traffic stays on the veth pair (a /30 of private addresses).
#
# STATE is $VKIT_HOST2_DIR, default /var/tmp/vkit-host2.  The pids of the
# namespace's anchor and of every daemon are recorded there; `stop` kills
# those pids only, deletes the veth and the directory.  Needs root.
set -u

dir=${VKIT_HOST2_DIR:-/var/tmp/vkit-host2}
addr1=192.168.236.1
addr2=192.168.236.2
veth=vkh2a     # this host's end
peer=vkh2b     # the second host's end
name=vkit-host2

say() { echo "second-host: $*" >&2; }
die() { say "$*"; exit 1; }

# pid_alive PID: it runs (a killed process nobody has reaped yet does not)
pid_alive() {
  local st
  [ -n "${1:-}" ] && st=$(ps -o stat= -p "$1" 2>/dev/null) && [ -n "$st" ] && [ "${st#Z}" = "$st" ]
}
pid_of() { cat "$1" 2>/dev/null; }

answers() {
  [ -S "$dir/run/libvirt/libvirt-sock" ] &&
    timeout 5 virsh -q -c "qemu+unix:///system?socket=$dir/run/libvirt/libvirt-sock" uri >/dev/null 2>&1
}

# in_ns CMD...: run CMD in the second host's namespaces.
in_ns() { nsenter -t "$(pid_of "$dir/anchor.pid")" -m -u -n -- "$@"; }

# Close every descriptor above stderr of this (sub)shell: a daemon must
# not hold its starter's pipes (see libvirtd-start.sh).
close_fds() {
  local fd
  for fd in /proc/"$BASHPID"/fd/*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] && eval "exec $fd>&-"
  done
}

# detached CMD...: run CMD (a daemon that forks) with no descriptor of ours.
detached() {
  (
    close_fds
    exec "$@" </dev/null >>"$dir/daemons.log" 2>&1
  )
}

write_env() {
  {
    printf '%s=%q\n' HOST2_DIR "$dir" HOST2_ADDR "$addr2" HOST1_ADDR "$addr1" HOST2_NAME "$name" \
      HOST2_UNIX "qemu+unix:///system?socket=$dir/run/libvirt/libvirt-sock" \
      HOST2_TCP "qemu+tcp://$addr2/system" \
      HOST2_SSH "qemu+ssh://root@$addr2/system?command=$dir/ssh&keyfile=$dir/id_ed25519" \
      HOST2_IMAGES "$dir/var-lib-libvirt/images" HOST2_LOGS "$dir/var-log-libvirt/qemu"
  } >"$dir/env.new"
  mv "$dir/env.new" "$dir/env"
}

stop() {
  local f p
  for f in sshd libvirtd virtlogd anchor; do
    p=$(pid_of "$dir/$f.pid")
    pid_alive "$p" && kill "$p" 2>/dev/null
  done
  for f in sshd libvirtd virtlogd anchor; do
    p=$(pid_of "$dir/$f.pid")
    for _ in $(seq 1 50); do pid_alive "$p" || break; sleep 0.1; done
    pid_alive "$p" && kill -9 "$p" 2>/dev/null
  done
  # QEMU processes the second host started (their pid files are in its /run)
  for f in "$dir"/run/libvirt/qemu/*.pid; do
    [ -f "$f" ] || continue
    p=$(pid_of "$f")
    pid_alive "$p" && kill -9 "$p" 2>/dev/null
  done
  ip link del "$veth" 2>/dev/null
  rm -rf "$dir"
  return 0
}

start() {
  [ "$(id -u)" -eq 0 ] || die "need root"
  for c in unshare nsenter libvirtd virtlogd virsh ip /usr/sbin/sshd ssh ssh-keygen; do
    command -v "$c" >/dev/null 2>&1 || die "$c missing (install util-linux libvirt-daemon iproute2 openssh-server openssh-client)"
  done
  if pid_alive "$(pid_of "$dir/anchor.pid")" && answers; then
    cat "$dir/env"
    return 0
  fi
  stop
  mkdir -p "$dir"/{run/libvirt,run/sshd,var-lib-libvirt/images,var-lib-libvirt/qemu,var-log-libvirt/qemu}
  chmod 0755 "$dir/run/sshd"
  cp -a /etc/libvirt "$dir/etc-libvirt"
  cat >"$dir/etc-libvirt/libvirtd.conf" <<EOF
host_uuid = "$(cat /proc/sys/kernel/random/uuid)"
listen_tls = 0
listen_tcp = 1
auth_tcp = "none"
EOF

  # ssh: a host key, a client key, a config that keeps known hosts here
  ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key" || die "ssh-keygen failed"
  ssh-keygen -q -t ed25519 -N '' -f "$dir/id_ed25519" || die "ssh-keygen failed"
  cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
  cat >"$dir/sshd_config" <<EOF
ListenAddress $addr2
HostKey $dir/host_key
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile /run/sshd-test.pid
EOF
  echo "$addr2 $(cat "$dir/host_key.pub")" >"$dir/known_hosts"
  cat >"$dir/ssh" <<EOF
#!/bin/sh
exec ssh -o BatchMode=yes -o UserKnownHostsFile=$dir/known_hosts -o StrictHostKeyChecking=yes -o GlobalKnownHostsFile=/dev/null -F /dev/null "\$@"
EOF
  chmod +x "$dir/ssh"

  # The anchor: a process that holds the namespaces until `stop`
  # (unshare without --fork execs sleep in the same process).
  (
    close_fds
    exec unshare --mount --net --uts --propagation private sleep infinity \
      </dev/null >>"$dir/daemons.log" 2>&1
  ) &
  p=$!
  echo "$p" >"$dir/anchor.pid"
  for _ in $(seq 1 50); do
    [ "$(readlink "/proc/$p/ns/net")" != "$(readlink /proc/self/ns/net)" ] && break
    sleep 0.1
  done
  [ "$(readlink "/proc/$p/ns/net")" != "$(readlink /proc/self/ns/net)" ] ||
    die "could not create the namespaces"

  in_ns sh -e -c "
    mount --bind '$dir/run' /run
    mount --bind '$dir/etc-libvirt' /etc/libvirt
    mount --bind '$dir/var-lib-libvirt' /var/lib/libvirt
    mount --bind '$dir/var-log-libvirt' /var/log/libvirt
    hostname '$name'
    ip link set lo up" || die "could not set up the namespaces"
  ip link add "$veth" type veth peer name "$peer" netns "$p" || die "could not create the veth pair"
  { ip addr add "$addr1/30" dev "$veth" && ip link set "$veth" up; } || die "could not configure $veth"
  in_ns sh -e -c "ip addr add '$addr2/30' dev '$peer'; ip link set '$peer' up" ||
    die "could not configure $peer"

  detached nsenter -t "$p" -m -u -n -- virtlogd -d
  detached nsenter -t "$p" -m -u -n -- /usr/sbin/sshd -f "$dir/sshd_config"
  start_libvirtd
  for _ in $(seq 1 50); do
    [ -f "$dir/run/sshd-test.pid" ] && [ -f "$dir/run/virtlogd.pid" ] && break
    sleep 0.1
  done
  cp "$dir/run/virtlogd.pid" "$dir/virtlogd.pid" 2>/dev/null
  cp "$dir/run/sshd-test.pid" "$dir/sshd.pid" 2>/dev/null
  [ -f "$dir/sshd.pid" ] || die "its sshd did not start (see $dir/daemons.log)"
  write_env
  cat "$dir/env"
}

# start_libvirtd: (re)start the second host's libvirtd in its namespaces,
# keeping its state (after a test killed it).
start_libvirtd() {
  local p
  p=$(pid_of "$dir/anchor.pid")
  pid_alive "$p" || die "not started (tests/second-host.sh start)"
  if ! pid_alive "$(pid_of "$dir/libvirtd.pid")"; then
    rm -f "$dir/run/libvirtd.pid"
    detached nsenter -t "$p" -m -u -n -- libvirtd -d --listen
  fi
  for _ in $(seq 1 100); do
    answers && break
    sleep 0.1
  done
  cp "$dir/run/libvirtd.pid" "$dir/libvirtd.pid" 2>/dev/null
  answers || die "its libvirtd did not answer within 10 s (see $dir/var-log-libvirt)"
}

case ${1:-} in
  start) start ;;
  start-libvirtd) start_libvirtd ;;
  stop) stop ;;
  status) pid_alive "$(pid_of "$dir/anchor.pid")" && answers ;;
  *) echo "usage: $0 start|stop|status|start-libvirtd" >&2; exit 2 ;;
esac
