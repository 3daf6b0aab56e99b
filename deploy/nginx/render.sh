#!/bin/sh
# Prints dispatch.conf.template (or the file given) filled in: a line holding @NAME@ is written
# once for each value of the environment variable DISPATCH_NAME (values separated by spaces).
# An unset or empty variable, or a value that is not a plain address, is an error (status 1).
#   DISPATCH_PUBLIC_LISTEN=80 DISPATCH_INTERNAL_LISTEN=8081 \
#   DISPATCH_WEB_SERVER='10.0.0.2:3000 10.0.0.3:3000' DISPATCH_SYNC_SERVER='10.0.0.4:3001' \
#     sh deploy/nginx/render.sh > default.conf
set -eu
template="${1:-$(dirname "$0")/dispatch.conf.template}"
exec awk '
function fail(message) {
	print "render.sh: " message > "/dev/stderr"
	exit 1
}
match($0, /@[A-Z_]+@/) {
	name = "DISPATCH_" substr($0, RSTART + 1, RLENGTH - 2)
	count = split(ENVIRON[name], values)
	if (count == 0) fail(name " is not set")
	for (i = 1; i <= count; i++) {
		if (values[i] !~ /^[A-Za-z0-9.:_-]+$/) fail(name ": \"" values[i] "\" is not an address")
		line = $0
		sub(/@[A-Z_]+@/, values[i], line)
		if (line ~ /@[A-Z_]+@/) fail("one placeholder per line: " $0)
		print line
	}
	next
}
{ print }
' "$template"
