#!/usr/bin/env bash
# The integration suite (run.sh, api.sh, cli.sh, mcp.sh) under lighttpd with mod_cgi: one process per request.
exec "$(dirname "$0")/under.sh" lighttpd-cgi
