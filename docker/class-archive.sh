#!/usr/bin/env bash
# Run by docker/Dockerfile in the final image, as root, before it switches user: starts the
# node once, the way the image runs it, with -XX:ArchiveClassesAtExit, and stops it once it is
# READY. The JVM then writes the classes it loaded to /opt/phoenix/phoenix.jsa (application
# class-data sharing), which the image's entrypoint maps: a node starts in about half the time
# and CPU, which shortens every restart. Made by this image's own JVM and for this jar: a JVM
# refuses an archive of another build and starts without it.
set -euo pipefail

archive=/opt/phoenix/phoenix.jsa
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# the image's configuration, on loopback, with a throwaway secret and database
PHOENIX_AUTH_JWT_SECRET=class-archive-only-not-a-secret-0123456789 \
PHOENIX_STORAGE_PATH="$work/db" PHOENIX_TCP_HOST=127.0.0.1 PHOENIX_HTTP_HOST=127.0.0.1 \
  java "$@" -XX:ArchiveClassesAtExit="$archive" -jar /opt/phoenix/phoenix.jar \
  node --config /etc/phoenix/node.json > "$work/out" 2>&1 &
pid=$!
for _ in $(seq 1200); do
  if grep -q '^READY ' "$work/out"; then
    break
  fi
  if ! kill -0 "$pid" 2> /dev/null; then
    cat "$work/out" >&2
    echo "class-archive.sh: the node stopped before READY" >&2
    exit 1
  fi
  sleep 0.1
done
kill -TERM "$pid"
wait "$pid" || true
if [ ! -s "$archive" ]; then
  cat "$work/out" >&2
  echo "class-archive.sh: the JVM wrote no archive" >&2
  exit 1
fi
chmod 644 "$archive"
echo "class-archive.sh: $(du -h "$archive" | cut -f1) archive of the classes a starting node loads"
