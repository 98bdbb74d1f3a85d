#!/usr/bin/env bash
# The integration suite (run.sh, api.sh, cli.sh) under Apache with mod_fcgid.
exec "$(dirname "$0")/under.sh" apache-fcgid
