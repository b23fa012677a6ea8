#!/bin/sh
# Adds "yurtnet" to yurthub's cache_agents in kube-system/yurt-hub-cfg, so that yurthub caches yurtnetd's
# lists and watches and serves them while a gateway is offline. Keeps every agent already listed and the label
# yurthub selects the ConfigMap by (openyurt.io/configmap-name: yurt-hub-cfg); creates the ConfigMap if missing.
# The update carries the resourceVersion read, so a concurrent change is never overwritten (the script retries).
#
# Usage: yurtnet-cache-agent.sh [--dry-run] [AGENT]     (run where kubectl has cluster-admin rights)
set -eu

KUBECTL=${KUBECTL:-kubectl}
NAMESPACE=kube-system
NAME=yurt-hub-cfg
LABEL_KEY=openyurt.io/configmap-name
DRY_RUN=
AGENT=yurtnet

for arg in "$@"; do
    case "$arg" in
        --dry-run) DRY_RUN=1 ;;
        -h|--help) sed -n '2,8s/^# \{0,1\}//p' "$0"; exit 0 ;;
        -*) echo "yurtnet-cache-agent: unknown option $arg (try --help)" >&2; exit 2 ;;
        *) AGENT=$arg ;;
    esac
done

case "$AGENT" in
    *[!a-z0-9.-]*|'') echo "yurtnet-cache-agent: \"$AGENT\" is not a User-Agent yurthub can match (lower case, no '/', ',' or spaces)" >&2; exit 2 ;;
esac

run() {
    if [ -n "$DRY_RUN" ]; then
        echo "would run: $KUBECTL $*"
    else
        "$KUBECTL" "$@"
    fi
}

# The list with AGENT appended, unless it (or "*") is already in it. Entries are comma separated with any spaces.
with_agent() {
    printf '%s' "$1" | tr ',' '\n' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' | grep -qx -e "$AGENT" -e '\*' && return 1
    if [ -z "$(printf '%s' "$1" | tr -d '[:space:],')" ]; then
        printf '%s' "$AGENT"
    else
        printf '%s, %s' "$(printf '%s' "$1" | sed 's/[[:space:],]*$//')" "$AGENT"
    fi
}

attempt=0
while :; do
    attempt=$((attempt + 1))
    rv=$("$KUBECTL" -n "$NAMESPACE" get configmap "$NAME" --ignore-not-found -o 'jsonpath={.metadata.resourceVersion}')
    if [ -z "$rv" ]; then
        echo "ConfigMap $NAMESPACE/$NAME does not exist: creating it with cache_agents: $AGENT"
        run -n "$NAMESPACE" create configmap "$NAME" --from-literal=cache_agents="$AGENT"
        run -n "$NAMESPACE" label configmap "$NAME" "$LABEL_KEY=$NAME" --overwrite
        break
    fi
    agents=$("$KUBECTL" -n "$NAMESPACE" get configmap "$NAME" -o 'jsonpath={.data.cache_agents}')
    label=$("$KUBECTL" -n "$NAMESPACE" get configmap "$NAME" -o "jsonpath={.metadata.labels.openyurt\\.io/configmap-name}")
    if new=$(with_agent "$agents"); then
        data=",\"data\":{\"cache_agents\":\"$new\"}"
        echo "cache_agents: \"$agents\" -> \"$new\""
    else
        data=
        echo "cache_agents already covers $AGENT: \"$agents\""
    fi
    if [ -z "$data" ] && [ "$label" = "$NAME" ]; then
        echo "nothing to change"
        exit 0
    fi
    [ "$label" = "$NAME" ] || echo "adding the label $LABEL_KEY=$NAME (yurthub ignores the ConfigMap without it)"
    patch="{\"metadata\":{\"resourceVersion\":\"$rv\",\"labels\":{\"$LABEL_KEY\":\"$NAME\"}}$data}"
    if run -n "$NAMESPACE" patch configmap "$NAME" --type merge -p "$patch"; then
        break
    fi
    if [ "$attempt" -ge 5 ]; then
        echo "yurtnet-cache-agent: $NAMESPACE/$NAME kept changing or the patch was refused; giving up after $attempt attempts" >&2
        exit 1
    fi
    echo "the ConfigMap changed meanwhile; reading it again"
done

echo "done. yurthub applies the change by itself; then restart yurtnetd on each gateway (systemctl restart yurtnetd)"
echo "so its first lists pass through yurthub as a cache agent, and check /etc/kubernetes/cache/$AGENT/ appears."
