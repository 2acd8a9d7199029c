#!/usr/bin/env bash
# Runs QUICKSTART.md's laptop section word by word on a fresh clone: its first block in the
# background (it is ./start.sh, which stays in the foreground), every later block in order.
set -euo pipefail
repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
tmp=$(mktemp -d)
server_pid=""
cleanup() {
  # The block runs in its own process group (set -m): Ctrl-C goes to the whole group, as a terminal would.
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -INT -- "-$server_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "quickstart laptop: $1"
  [ -f "$tmp/start.log" ] && sed 's/^/  start.sh | /' "$tmp/start.log" | tail -40
  echo "quickstart laptop: 0 passed, 1 failed"
  exit 1
}

git clone -q "$repo" "$tmp/clone"
cd "$tmp/clone"
# The sh blocks between the laptop markers, each as one script.
awk '/<!-- laptop:start -->/{on=1} /<!-- laptop:end -->/{on=0} on && /^```sh$/{n++; file=sprintf("'"$tmp"'/block-%02d.sh", n); next} on && /^```$/{file=""; next} file!=""{print > file}' QUICKSTART.md
blocks=("$tmp"/block-*.sh)
[ "${#blocks[@]}" -ge 2 ] || fail "found ${#blocks[@]} code blocks in the laptop section"
grep -qx './start.sh' "${blocks[0]}" || fail "the first block is not ./start.sh"

set -m
bash "${blocks[0]}" >"$tmp/start.log" 2>&1 &
server_pid=$!
set +m
for _ in $(seq 1 240); do
  if curl -sf http://127.0.0.1:8000/ready >/dev/null 2>&1 && grep -q '^curl ' "$tmp/start.log"; then break; fi
  kill -0 "$server_pid" 2>/dev/null || fail "./start.sh stopped early"
  sleep 1
done
curl -sf http://127.0.0.1:8000/ready >/dev/null || fail "the gateway never became ready on 127.0.0.1:8000"

# The later blocks run in one shell, as a user types them into the second terminal.
cat "${blocks[@]:1}" > "$tmp/rest.sh"
bash -euo pipefail "$tmp/rest.sh" >"$tmp/rest.log" 2>&1 || { cat "$tmp/rest.log"; fail "a command of the laptop section failed"; }
grep -q '"name":"db-prod"' "$tmp/rest.log" || fail "no credential JSON in the output"
grep -q 'the URL starts postgresql://' "$tmp/rest.log" || fail "no database URL in the output"
cleanup_ok=1
kill -INT -- "-$server_pid" 2>/dev/null || true
for _ in $(seq 1 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$server_pid" 2>/dev/null; then cleanup_ok=0; fi
[ "$cleanup_ok" -eq 1 ] || fail "Ctrl-C did not stop ./start.sh within 10 s"
curl -s -o /dev/null http://127.0.0.1:8000/ready && fail "something still answers on 127.0.0.1:8000 after Ctrl-C"
echo "quickstart laptop: ran ${#blocks[@]} blocks; every command succeeded; Ctrl-C stopped it"
echo "quickstart laptop: 1 passed, 0 failed"
