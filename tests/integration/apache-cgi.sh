#!/usr/bin/env bash
# The integration suite (run.sh, api.sh, cli.sh, mcp.sh) under Apache with mod_cgid: one process per request.
exec "$(dirname "$0")/under.sh" apache-cgi
