# vkit — the logic of the bash completion of every tool (shellcheck shell=bash).
# completion/mkcompletion.sh puts each tool's tables above the part of
# this file after the "begin" line; see there.
#
# What a value completes to is read from the tables' descriptors:
#   a|b|c        those words               FMT        the formats vkit reads
#   FILE, PATH, SRC, DST, FILE1, FILE2, BACKING, ISO, LOG   file names
#   DIR          directories               DOMAIN     the hypervisor's domains
#   NETWORK      its networks              SNAPSHOT, SNAP  the snapshots of
#   DISK         the disks (targets) of    the domain named first on the line
#   anything else: nothing to offer
# Domains and networks come from `vctl ... --name` listings, with the -c URI
# of the command line (or LIBVIRT_DEFAULT_URI), read-only, quiet and
# bounded in time when the daemon does not answer.

# ---- begin (what follows is copied into every tool's completion)

# _vk_live KIND URI...: the names of the domains or networks, or the
# snapshots or disks of the domain _vk_dom (the line's first argument).
_vk_live() {
  local kind=$1
  shift
  local vctl=vctl
  command -v vctl >/dev/null 2>&1 || return 0
  case $kind in
    DOMAIN) timeout 3 "$vctl" "$@" list --all --name 2>/dev/null ;;
    NETWORK) timeout 3 "$vctl" "$@" net-list --all --name 2>/dev/null ;;
    SNAPSHOT | SNAP)
      [ -n "${_vk_dom:-}" ] && timeout 3 "$vctl" "$@" snapshot-list "$_vk_dom" --name 2>/dev/null ;;
    DISK)
      [ -n "${_vk_dom:-}" ] &&
        timeout 3 "$vctl" "$@" domblklist "$_vk_dom" 2>/dev/null | tail -n +3 | while read -r t _; do
          [ -n "$t" ] && printf '%s\n' "$t"
        done ;;
  esac
}

# _vk_values DESCRIPTOR CUR URI...: fill COMPREPLY for one value.
_vk_values() {
  local desc=$1 cur=$2 alt words=() files=0 dirs=0
  shift 2
  local -a alts
  IFS='|' read -ra alts <<<"$desc"
  for alt in "${alts[@]}"; do
    alt=${alt//[\[\]]/}
    alt=${alt%%...*}
    alt=${alt%%[,=(]*}
    case $alt in
      FMT) words+=(raw qcow2) ;;
      FILE | FILE1 | FILE2 | PATH | SRC | DST | BACKING | ISO | LOG) files=1 ;;
      DIR) dirs=1 ;;
      DOMAIN | NETWORK | SNAPSHOT | SNAP | DISK)
        mapfile -t -O "${#words[@]}" words < <(_vk_live "$alt" "$@") ;;
      *[A-Z]* | '' | [-+]*) ;;
      *) words+=("$alt") ;;
    esac
  done
  mapfile -t COMPREPLY < <(compgen -W "${words[*]}" -- "$cur")
  if [ "$files" = 1 ]; then
    mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$cur")
    compopt -o filenames 2>/dev/null
  elif [ "$dirs" = 1 ]; then
    mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -d -- "$cur")
    compopt -o filenames 2>/dev/null
  fi
  return 0
}

# _vk_complete ID TOOL: the completion function of TOOL (tables _vk_ID_*).
_vk_complete() {
  local id=$1
  local -n cmds_=_vk_${id}_cmds opts_=_vk_${id}_opts arg_=_vk_${id}_arg pos_=_vk_${id}_pos
  local cword=$COMP_CWORD cur=${COMP_WORDS[COMP_CWORD]} cmd=- w i n=0 opt _vk_dom=
  local -a uri=() words=("${COMP_WORDS[@]}")

  COMPREPLY=()
  # "--opt=value" arrives as three words (= breaks words): join them back.
  local -a joined=()
  local jcword=0
  for ((i = 0; i < ${#words[@]}; i++)); do
    if [ "${words[i]}" = "=" ] && [ ${#joined[@]} -gt 0 ] && [ "$i" -le "$cword" ]; then
      joined[-1]+="="
      if [ "$i" -lt "$cword" ] && [ $((i + 1)) -lt ${#words[@]} ]; then
        joined[-1]+=${words[i + 1]}
        i=$((i + 1))
      fi
      [ "$i" -ge "$cword" ] && jcword=$((${#joined[@]} - 1))
      continue
    fi
    [ "$i" -eq "$cword" ] && jcword=${#joined[@]}
    joined+=("${words[i]}")
  done
  words=("${joined[@]}")
  cword=$jcword
  cur=${words[cword]:-}

  # What came before: the command, the -c URI, how many arguments.
  for ((i = 1; i < cword; i++)); do
    w=${words[i]}
    case $w in
      --connect=*) uri=(-c "${w#*=}"); continue ;;
      --*=*) continue ;;
      -c | --connect) uri=(-c "${words[i + 1]:-}") ;;
    esac
    if [[ $w == -?* ]]; then
      if [ -n "${arg_[$cmd $w]:-}${arg_[- $w]:-}" ]; then
        i=$((i + 1))
      fi
      continue
    fi
    if [ "$cmd" = - ] && [ -n "$cmds_" ]; then
      cmd=$w
      continue
    fi
    [ "$n" -eq 0 ] && _vk_dom=$w
    n=$((n + 1))
  done

  # The value of an option: "--opt=VALUE", or after "-o" / "--opt".
  if [[ $cur == --*=* ]]; then
    opt=${cur%%=*}
    local d=${arg_[$cmd $opt]:-${arg_[- $opt]:-}}
    [ -n "$d" ] && _vk_values "$d" "${cur#*=}" "${uri[@]}"
    return 0
  fi
  if [ "$cword" -gt 1 ]; then
    w=${words[cword - 1]}
    if [[ $w == -?* ]]; then
      local d=${arg_[$cmd $w]:-${arg_[- $w]:-}}
      if [ -n "$d" ]; then
        _vk_values "$d" "$cur" "${uri[@]}"
        return 0
      fi
    fi
  fi
  if [[ $cur == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "${opts_[$cmd]:-} ${opts_[-]:-}" -- "$cur")
    return 0
  fi
  if [ "$cmd" = - ] && [ -n "$cmds_" ]; then
    mapfile -t COMPREPLY < <(compgen -W "$cmds_" -- "$cur")
    return 0
  fi
  # The n-th argument (the last kind repeats when it ends with "...").
  local -a kinds
  read -ra kinds <<<"${pos_[$cmd]:-}"
  [ ${#kinds[@]} -gt 0 ] || return 0
  if [ "$n" -ge ${#kinds[@]} ]; then
    [[ ${pos_[$cmd]} == *...* ]] || return 0
    n=$((${#kinds[@]} - 1))
  fi
  _vk_values "${kinds[n]}" "$cur" "${uri[@]}"
  return 0
}
