#!/usr/bin/env bash
# What a Docker engine changes on the host's network, saved before it starts and undone after it
# stopped (run.sh): the docker0 and br-<id> bridges and their veth ends, the
# DOCKER* iptables chains with the rules that jump to them or name those bridges (filter and nat,
# IPv4 and IPv6), the FORWARD policy it sets to DROP, and net.ipv4.ip_forward (and IPv6
# forwarding), which it turns on. Rules and links that were there before, or that are not
# Docker's, are left alone.
#   host-network.sh save DIR      snapshot into DIR (before dockerd starts)
#   host-network.sh restore DIR   undo Docker's changes (after dockerd exited)
#   host-network.sh diff DIR      print what still differs from the snapshot (nothing = clean)
set -euo pipefail
cmd=${1:?usage: host-network.sh save|restore|diff DIR}
dir=${2:?usage: host-network.sh save|restore|diff DIR}

sysctls=(net/ipv4/ip_forward net/ipv6/conf/all/forwarding net/ipv6/conf/default/forwarding)
tables=(filter nat)
docker_rule='DOCKER|docker0|br-[0-9a-f]{12}'

links() { ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | sort; }
has() { command -v "$1" >/dev/null 2>&1; }
nft_family() { [ "$1" = iptables ] && echo ip || echo ip6; }
uses_nft() { "$1" -V 2>/dev/null | grep -q nf_tables && has nft; }
# A table's rules, chain lines without their packet counters so two snapshots compare; nothing
# for a table that does not exist (with the nf_tables backend, iptables-save -t would create it).
save_table() {
  if uses_nft "$1" && ! nft list table "$(nft_family "$1")" "$2" >/dev/null 2>&1; then return 0; fi
  "$1-save" -t "$2" 2>/dev/null | grep -v '^#' | sed -E 's/ \[[0-9]+:[0-9]+\]$//' || true
}

case $cmd in
  save)
    mkdir -p "$dir"
    for s in "${sysctls[@]}"; do [ -f "/proc/sys/$s" ] && cat "/proc/sys/$s" > "$dir/sysctl.${s//\//.}"; done
    links > "$dir/links"
    for ipt in iptables ip6tables; do
      has "$ipt-save" || continue
      for t in "${tables[@]}"; do save_table "$ipt" "$t" > "$dir/$ipt.$t"; done
    done
    ;;
  restore)
    # Bridges and veth pairs Docker made (a veth goes with its peer).
    comm -13 "$dir/links" <(links) | while read -r link; do
      case $link in docker0|br-*|veth*) ip link delete "$link" 2>/dev/null && echo "host: removed link $link" || true ;; esac
    done
    for ipt in iptables ip6tables; do
      has "$ipt-save" && [ -f "$dir/$ipt.filter" ] || continue
      for t in "${tables[@]}"; do
        now=$(save_table "$ipt" "$t")
        [ "$now" = "$(cat "$dir/$ipt.$t")" ] && continue
        if [ ! -s "$dir/$ipt.$t" ]; then
          # The table did not exist: Docker made it. Drop it whole (nft), else empty it.
          if uses_nft "$ipt"; then nft delete table "$(nft_family "$ipt")" "$t" 2>/dev/null || true; fi
          if [ -n "$(save_table "$ipt" "$t")" ]; then
            "$ipt" -t "$t" -F && "$ipt" -t "$t" -X
            for chain in $("$ipt" -t "$t" -S | awk '$1 == "-P" {print $2}'); do "$ipt" -t "$t" -P "$chain" ACCEPT; done
          fi
          echo "host: removed the $ipt $t table Docker created"
          continue
        fi
        # Keep every line that was there before; drop the new ones that are Docker's; built-in
        # chains get their saved policy back (Docker sets FORWARD to DROP).
        {
          printf '%s\n' "$now" | while IFS= read -r line; do
            if grep -qxF -- "$line" "$dir/$ipt.$t"; then printf '%s\n' "$line"; continue; fi
            if [[ $line =~ ^:([A-Z_]+)\ ([A-Z]+)$ ]] && [ "${BASH_REMATCH[2]}" != - ]; then
              grep -E "^:${BASH_REMATCH[1]} " "$dir/$ipt.$t" || printf '%s\n' "$line"
              continue
            fi
            if [[ $line =~ $docker_rule ]]; then continue; fi
            # Docker's hairpin NAT for a published port: -s <container>/32 -d <container>/32.
            if [[ $line =~ ^-A\ POSTROUTING\ -s\ ([0-9a-f.:]+)/(32|128)\ -d\ ([0-9a-f.:]+)/(32|128)\ .*-j\ MASQUERADE$ ]] \
              && [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[3]}" ]; then continue; fi
            printf '%s\n' "$line"
          done
        } > "$dir/$ipt.$t.restore"
        "$ipt-restore" -w 5 < "$dir/$ipt.$t.restore" 2>/dev/null || "$ipt-restore" < "$dir/$ipt.$t.restore"
        echo "host: removed Docker's $ipt $t chains and rules, policies restored"
      done
    done
    for s in "${sysctls[@]}"; do
      f="$dir/sysctl.${s//\//.}"
      if [ -f "$f" ] && [ "$(cat "/proc/sys/$s")" != "$(cat "$f")" ]; then
        cat "$f" > "/proc/sys/$s" && echo "host: ${s//\//.} back to $(cat "$f")"
      fi
    done
    ;;
  diff)
    differs=0
    comm -3 "$dir/links" <(links) | sed 's/^/links: /' | grep . && differs=1
    for ipt in iptables ip6tables; do
      has "$ipt-save" && [ -f "$dir/$ipt.filter" ] || continue
      for t in "${tables[@]}"; do
        diff <(cat "$dir/$ipt.$t") <(save_table "$ipt" "$t") | sed "s/^/$ipt $t: /" | grep -E "^$ipt $t: [<>]" && differs=1
      done
    done
    for s in "${sysctls[@]}"; do
      f="$dir/sysctl.${s//\//.}"
      [ -f "$f" ] && [ "$(cat "/proc/sys/$s")" != "$(cat "$f")" ] && { echo "sysctl ${s//\//.}: $(cat "$f") -> $(cat "/proc/sys/$s")"; differs=1; }
    done
    exit $differs
    ;;
  *) echo "usage: host-network.sh save|restore|diff DIR" >&2; exit 2 ;;
esac
