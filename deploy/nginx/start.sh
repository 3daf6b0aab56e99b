#!/bin/sh
# Runs nginx in front of every replica of the web app and the sync-server, e.g. in the compose
# stack: `sh start.sh -g 'daemon off;'` (the arguments are nginx's).
#
# It renders dispatch.conf.template (render.sh) into DISPATCH_NGINX_CONF with one `server` line
# per address that the names in DISPATCH_WEB_HOSTS and DISPATCH_SYNC_HOSTS ("host:port ...")
# resolve to, then becomes nginx. Meanwhile a watcher resolves the names again every
# DISPATCH_RESOLVE_SECONDS and, when the addresses changed (`docker compose up --scale sync=3`),
# rewrites the file and reloads nginx (SIGHUP: open WebSockets stay on the old workers until they
# close). A line per replica is what keeps the consistent hash per process: nginx resolving a
# name itself (`server sync:3001 resolve`) puts every replica behind that one name on the hash
# ring, and then takes them in turn.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
conf="${DISPATCH_NGINX_CONF:-/etc/nginx/conf.d/default.conf}"
interval="${DISPATCH_RESOLVE_SECONDS:-5}"
export DISPATCH_PUBLIC_LISTEN="${DISPATCH_PUBLIC_LISTEN:-80}"
export DISPATCH_INTERNAL_LISTEN="${DISPATCH_INTERNAL_LISTEN:-8081}"
: "${DISPATCH_WEB_HOSTS:?e.g. web:3000}" "${DISPATCH_SYNC_HOSTS:?e.g. sync:3001}"

# "host:port ..." → each host's IPv4 addresses with its port, sorted, on one line
addresses() {
	for entry in $1; do
		getent ahostsv4 "${entry%:*}" | awk -v port="${entry##*:}" '{ print $1 ":" port }'
	done | sort -u | tr '\n' ' '
}

# renders into $conf.next; fails when a name resolves to nothing (nothing to serve with)
render_next() {
	web="$(addresses "$DISPATCH_WEB_HOSTS")"
	sync="$(addresses "$DISPATCH_SYNC_HOSTS")"
	[ -n "$web" ] && [ -n "$sync" ] || return 1
	DISPATCH_WEB_SERVER="$web" DISPATCH_SYNC_SERVER="$sync" \
		sh "$here/render.sh" "$here/dispatch.conf.template" > "$conf.next"
}

waited=0
until render_next; do
	waited=$((waited + 1))
	if [ "$waited" -ge 60 ]; then
		echo "start.sh: $DISPATCH_WEB_HOSTS / $DISPATCH_SYNC_HOSTS did not resolve within 60 s" >&2
		exit 1
	fi
	sleep 1
done
mv "$conf.next" "$conf"
echo "start.sh: web $web, sync $sync" >&2

nginx_pid=$$ # this shell becomes nginx's master process below
(
	while sleep "$interval"; do
		kill -0 "$nginx_pid" 2> /dev/null || exit 0
		# a name that resolves to nothing for a moment (every replica restarting) keeps the last list
		render_next 2> /dev/null || continue
		if cmp -s "$conf.next" "$conf"; then
			continue
		fi
		mv "$conf.next" "$conf"
		echo "start.sh: replicas changed (web $web, sync $sync): reloading nginx" >&2
		kill -HUP "$nginx_pid"
	done
) &
exec nginx "$@"
