#!/bin/sh
# Starts the lab's git server: creates the bare repositories named in GIT_REPOSITORIES (paths under /srv/git,
# e.g. platform/mayday.git) where missing, lets pushes in, and runs lighttpd in the foreground.
set -eu
for repository in ${GIT_REPOSITORIES:-}; do
  dir="/srv/git/$repository"
  [ -d "$dir" ] || git init --quiet --bare "$dir"
  git --git-dir="$dir" config http.receivepack true
done
exec lighttpd -D -f /etc/lighttpd/lighttpd.conf
