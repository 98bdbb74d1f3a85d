#!/usr/bin/env bash
# The integration suite (run.sh, api.sh, cli.sh) under Apache with mod_proxy_fcgi and spawn-fcgi.
exec "$(dirname "$0")/under.sh" apache-proxy-fcgi
