#!/usr/bin/env bash
# Smoke test of ./start.sh, the README's first command, on a fresh clone as a user gets it:
# the first run installs, builds, creates the demo vault and serves it; the curl lines it prints
# work when pasted; Ctrl-C (SIGINT) stops it; a second run reuses everything and prints the same key;
# with TLS_CERT_FILE and TLS_KEY_FILE it serves HTTPS and its curl lines check the certificate;
# KDBX_PATH naming another vault is refused while the demo's password and keys files would serve it.
#
#   test/smoke/start-sh.sh                        # clone the committed tree (what CI runs)
#   SMOKE_SOURCE=worktree test/smoke/start-sh.sh  # copy the working tree instead (uncommitted files too)
#
# Needs git, node, npm, curl, openssl and network access for `npm ci`. Talks to 127.0.0.1 only.
# Gives up after SMOKE_TIMEOUT seconds (default 360).
set -euo pipefail
# Job control: every background job gets its own process group. start.sh then receives SIGINT
# (a non-interactive shell would start it with SIGINT ignored), and cleanup can stop a whole group.
set -m

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(git -C "$here" rev-parse --show-toplevel)
source_mode=${SMOKE_SOURCE:-clone}
deadline=$((SECONDS + ${SMOKE_TIMEOUT:-360}))
tmp=$(mktemp -d "${TMPDIR:-/tmp}/start-sh-smoke.XXXXXX")
clone=$tmp/clone
log1=$tmp/start-1.log
log2=$tmp/start-2.log
log3=$tmp/start-tls.log
log4=$tmp/start-own.log
log5=$tmp/start-refused.log
started=   # process groups started here (each the pid of a start.sh)
passed=false
started_at=$SECONDS

note() { printf 'smoke: %s (%ss)\n' "$*" "$((SECONDS - started_at))"; }
fail() {
  printf 'smoke: FAIL: %s\n' "$*" >&2
  exit 1
}

stop_group() {
  kill -TERM -- "-$1" 2>/dev/null || return 0
  for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    kill -0 -- "-$1" 2>/dev/null || return 0
    sleep 0.25
  done
  kill -KILL -- "-$1" 2>/dev/null || true
}

finish() {
  local rc=$?
  set +e
  for group in $started; do stop_group "$group"; done
  if [[ $rc -eq 0 && $passed == true ]]; then
    echo "start.sh smoke: 1 passed, 0 failed"
  else
    for log in "$log1" "$log2" "$log3" "$log4" "$log5"; do
      [[ -f $log ]] || continue
      echo "----- $(basename "$log") -----" >&2
      cat "$log" >&2
    done
    echo "start.sh smoke: 0 passed, 1 failed" >&2
    rc=1
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap finish EXIT
trap 'fail "interrupted"' INT TERM

for tool in git node npm curl openssl; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed"
done

# A clean environment: only what a user who just cloned would have.
unset KDBX_PATH KDBX_PASSWORD KDBX_PASSWORD_FILE KDBX_KEYFILE API_KEYS_FILE API_KEY API_KEY_FILE \
  MATTSTASH_DB_PATH MATTSTASH_API_KEY MATTSTASH_API_KEY_FILE MATTSTASH_API_KEYS_FILE LOG_LEVEL LOG_FORMAT \
  TLS_CERT_FILE TLS_KEY_FILE
export HOST=127.0.0.1

# --- 1. A fresh copy -------------------------------------------------------------------------
case $source_mode in
  clone)
    git clone -q "$root" "$clone"
    ;;
  worktree)
    # Tracked and untracked files, minus what .gitignore leaves out (node_modules, dist, data/*,
    # secrets/* but their READMEs): the tree as it will be once committed.
    mkdir "$clone"
    git -C "$root" ls-files -z --cached --others --exclude-standard |
      while IFS= read -r -d '' file; do
        if [[ -e $root/$file || -L $root/$file ]]; then printf '%s\0' "$file"; fi
      done |
      tar -C "$root" --null -T - -cf - | tar -C "$clone" -xf -
    ;;
  *) fail "SMOKE_SOURCE must be clone or worktree (received '$source_mode')" ;;
esac
[[ -x $clone/start.sh ]] ||
  fail "start.sh is missing from the $source_mode copy or not executable (not committed yet? try SMOKE_SOURCE=worktree)"
for leftover in node_modules dist data/vault.kdbx secrets/api_keys.txt secrets/kdbx_password.txt; do
  [[ ! -e $clone/$leftover ]] || fail "the fresh copy already has $leftover"
done
note "fresh copy ($source_mode) in $clone"

# --- helpers ---------------------------------------------------------------------------------
free_port() {
  node -e '
    const s = require("net").createServer();
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => console.log(p)); });
  '
}

port_open() {
  node -e '
    const s = require("net").connect({ host: "127.0.0.1", port: Number(process.argv[1]) });
    s.on("connect", () => process.exit(0));
    s.on("error", () => process.exit(1));
    setTimeout(() => process.exit(1), 2000);
  ' "$1"
}

# Starts ./start.sh in the clone: run_start LOG PORT [NAME=VALUE...]; sets start_pid.
run_start() {
  (cd "$clone" && PORT=$2 exec env "${@:3}" ./start.sh) </dev/null >"$1" 2>&1 &
  start_pid=$!
  started="$started $start_pid"
}

# Waits until LOG shows the whole banner: wait_banner LOG PID SECONDS.
wait_banner() {
  local until=$((SECONDS + $3))
  ((until <= deadline)) || until=$deadline
  while :; do
    if [[ $(grep -c '^curl ' "$1" || true) -ge 2 ]] && grep -q 'Ctrl-C' "$1"; then return 0; fi
    kill -0 "$2" 2>/dev/null || fail "start.sh exited before printing the curl lines (log below)"
    ((SECONDS < until)) || fail "no curl lines from start.sh within $3 s"
    sleep 0.5
  done
}

# Runs the two printed curl lines as pasted: check_curls LOG PORT TAG [SCHEME].
check_curls() {
  local count lines line code body n=0 scheme=${4:-http}
  count=$(grep -c '^curl ' "$1" || true)
  [[ $count -eq 2 ]] || fail "$3: expected exactly two curl lines, found $count"
  lines=$(grep '^curl ' "$1")
  while IFS= read -r line; do
    n=$((n + 1))
    [[ $line == *"$scheme://127.0.0.1:$2/"* ]] || fail "$3: curl line $n does not call $scheme://127.0.0.1:$2/: $line"
    body=$tmp/$3-body-$n
    code=$(bash -c "$line --max-time 10 -o $(printf %q "$body") -w '%{http_code}'") ||
      fail "$3: curl line $n failed: $line"
    [[ $code == 200 ]] || fail "$3: curl line $n answered $code: $(cat "$body" 2>/dev/null)"
    case $line in
      */api/v1/credentials/db-prod*)
        grep -qF '"name":"db-prod"' "$body" || fail "$3: no \"name\":\"db-prod\" in $(cat "$body")"
        grep -qF '"password":"*****"' "$body" || fail "$3: the password is not masked in $(cat "$body")"
        ;;
      */api/v1/db-url/db-prod*)
        grep -qF 'postgresql://admin:*****@db.internal:5432/app' "$body" || fail "$3: unexpected db-url body $(cat "$body")"
        ;;
      *) fail "$3: unexpected curl line $n: $line" ;;
    esac
  done <<<"$lines"
}

# SIGINT to start.sh, as Ctrl-C would; it must exit 0 within 5 s and leave nothing running.
stop_start() {
  local pid=$1 port=$2 status=0 t0=$SECONDS dog
  kill -INT "$pid"
  (sleep 20 && kill -KILL -- "-$pid") >/dev/null 2>&1 &
  dog=$!
  wait "$pid" || status=$?
  kill -TERM -- "-$dog" 2>/dev/null || true
  wait "$dog" 2>/dev/null || true
  started=${started/ $pid/}
  ((SECONDS - t0 <= 5)) || fail "start.sh took $((SECONDS - t0)) s to stop after SIGINT"
  [[ $status -eq 0 ]] || fail "start.sh exited with status $status after SIGINT"
  if kill -0 -- "-$pid" 2>/dev/null; then
    stop_group "$pid"
    fail "start.sh exited but left processes running (the server?)"
  fi
  if port_open "$port"; then fail "port $port still answers after start.sh stopped"; fi
}

# Runs ./start.sh where it must refuse: expect_refusal LOG PORT [NAME=VALUE...]. Still running after
# 30 s, it did not refuse (and is stopped by finish); exit status 0 is no refusal either.
expect_refusal() {
  local status=0 until=$((SECONDS + 30))
  run_start "$@"
  while kill -0 "$start_pid" 2>/dev/null; do
    ((SECONDS < until)) || fail "start.sh did not refuse within 30 s (${*:3})"
    sleep 0.25
  done
  wait "$start_pid" || status=$?
  started=${started/ $start_pid/}
  [[ $status -ne 0 ]] || fail "start.sh exited with status 0 where it should refuse (${*:3})"
}

key_in() { sed -n 's/^API key: \([^ ]*\) (from .*/\1/p' "$1" | head -n 1; }

# --- 2-4. First run: install, build, demo, serve -----------------------------------------------
port1=$(free_port)
run_start "$log1" "$port1"
pid1=$start_pid
note "first ./start.sh on port $port1 (npm ci and build)"
wait_banner "$log1" "$pid1" 240
note "first run is serving"
grep -q '^start.sh: installing dependencies: npm ci' "$log1" || fail "first run: no npm ci"
grep -q '^start.sh: building: npm run build' "$log1" || fail "first run: no build"
grep -q '^start.sh: no vault at data/vault.kdbx; creating the demo vault' "$log1" || fail "first run: no demo vault"
key1=$(key_in "$log1")
[[ $key1 =~ ^[A-Za-z0-9_-]{43}$ ]] || fail "first run: no 43-character base64url API key printed (got '$key1')"
grep -qxF "demo:$key1" "$clone/secrets/api_keys.txt" || fail "the printed key is not the demo key in secrets/api_keys.txt"
check_curls "$log1" "$port1" run1
note "first run: both curl lines answered 200 with the demo data"
stop_start "$pid1" "$port1"
note "first run stopped by SIGINT"

# --- 5. Second run: reuse everything ----------------------------------------------------------
port2=$(free_port)
run_start "$log2" "$port2"
pid2=$start_pid
note "second ./start.sh on port $port2"
wait_banner "$log2" "$pid2" 60
grep -q '^start.sh: dependencies up to date; not running npm ci' "$log2" || fail "second run: did not reuse node_modules"
grep -q '^start.sh: build up to date; not rebuilding' "$log2" || fail "second run: did not reuse the build"
grep -q '^start.sh: using the existing vault data/vault.kdbx' "$log2" || fail "second run: did not reuse the vault"
if grep -qE '^start.sh: (installing dependencies|building|no vault)|^Created ' "$log2"; then
  fail "second run installed, built or created the demo again"
fi
key2=$(key_in "$log2")
[[ $key2 == "$key1" ]] || fail "second run printed another key ('$key2')"
check_curls "$log2" "$port2" run2
note "second run: reused install, build and vault; same key; curls answered 200"
stop_start "$pid2" "$port2"

# --- 6. Modes ----------------------------------------------------------------------------------
for file in data/vault.kdbx secrets/kdbx_password.txt secrets/api_keys.txt; do
  mode=$(node -p '(require("fs").statSync(process.argv[1]).mode & 0o777).toString(8)' "$clone/$file")
  [[ $mode == 600 ]] || fail "$file has mode $mode, not 600"
done
note "data and secrets files are mode 600"

# --- 7. A mistyped KDBX_PATH is refused, never turned into a demo vault ------------------------
typo=$clone/data/my-vualt.kdbx
if out=$(cd "$clone" && KDBX_PATH=$typo PORT=$(free_port) ./start.sh 2>&1); then
  fail "start.sh with a KDBX_PATH that does not exist succeeded"
fi
[[ ! -e $typo ]] || fail "start.sh created $typo"
grep -q "KDBX_PATH is $typo, which does not exist" <<<"$out" || fail "start.sh did not name the missing KDBX_PATH: $out"
note "a KDBX_PATH that does not exist is refused, and no vault is created there"

# --- 8. HTTPS: TLS_CERT_FILE and TLS_KEY_FILE ---------------------------------------------------
# A self-signed certificate for 127.0.0.1, as a user makes one for a laptop: the printed lines must
# trust it with --cacert, not switch the check off with -k.
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
  -keyout "$tmp/tls-key.pem" -out "$tmp/tls-cert.pem" -days 2 >/dev/null 2>&1 || fail "openssl could not make a test certificate"
port3=$(free_port)
run_start "$log3" "$port3" TLS_CERT_FILE="$tmp/tls-cert.pem" TLS_KEY_FILE="$tmp/tls-key.pem"
pid3=$start_pid
note "./start.sh with TLS on port $port3"
wait_banner "$log3" "$pid3" 60
grep -qxF "kdbx-gateway is running at https://127.0.0.1:$port3" "$log3" || fail "TLS run: no https:// URL printed"
[[ $(grep -c '^curl -s --cacert ' "$log3" || true) -eq 2 ]] || fail "TLS run: the curl lines do not both use --cacert"
check_curls "$log3" "$port3" tls https
note "TLS run: served https://, both curl lines answered 200 with --cacert"
stop_start "$pid3" "$port3"

# --- 9. Your own vault beside the demo's files ---------------------------------------------------
# A vault of the user's own, with its password and keys files outside the clone (made by demo, so
# that it opens quickly; its key renamed, as a user's would not be called demo).
own=$tmp/own
(cd "$clone" && KDBX_PATH=$own/my.kdbx KDBX_PASSWORD_FILE=$own/password.txt API_KEYS_FILE=$own/demo-keys.txt \
  node dist/server/main.js demo) >/dev/null || fail "could not make a second vault with demo"
(umask 077 && sed 's/^demo:/mine:/' "$own/demo-keys.txt" >"$own/keys.txt")
own_key=$(sed -n 's/^mine://p' "$own/keys.txt")
# Only KDBX_PATH, then with the password file alone: refused in one line that names the demo's files
# picked up by default and the settings that replace them; nothing serves, no key is shown.
for setting in "" "KDBX_PASSWORD_FILE=$own/password.txt"; do
  what=${setting:-KDBX_PATH alone}
  port5=$(free_port)
  expect_refusal "$log5" "$port5" ${setting:+"$setting"} KDBX_PATH="$own/my.kdbx"
  refusal=$(grep -v -e '^start.sh: dependencies up to date' -e '^start.sh: build up to date' "$log5" || true)
  [[ $(wc -l <<<"$refusal") -eq 1 && $refusal == "start.sh: KDBX_PATH is $own/my.kdbx, not the demo vault, "* ]] ||
    fail "$what: not one line naming KDBX_PATH"
  [[ $refusal == *secrets/api_keys.txt* && $refusal == *API_KEYS_FILE* ]] ||
    fail "$what: the refusal does not name secrets/api_keys.txt and API_KEYS_FILE"
  if [[ -z $setting ]]; then
    [[ $refusal == *secrets/kdbx_password.txt* && $refusal == *KDBX_PASSWORD_FILE* ]] ||
      fail "$what: the refusal does not name secrets/kdbx_password.txt and KDBX_PASSWORD_FILE"
  elif [[ $refusal == *kdbx_password.txt* ]]; then
    fail "$what: the refusal names the demo's password file, which was not used"
  fi
  if grep -qF -e "$key1" -e 'db-prod' "$log5"; then fail "$what: printed the demo's key or entry names"; fi
  if port_open "$port5"; then fail "$what: something answers on port $port5"; fi
done
note "KDBX_PATH with the demo's password or keys files by default is refused in one line"
# With both files named, it serves that vault and shows that vault's key, never the demo's.
port4=$(free_port)
run_start "$log4" "$port4" KDBX_PATH="$own/my.kdbx" KDBX_PASSWORD_FILE="$own/password.txt" API_KEYS_FILE="$own/keys.txt"
pid4=$start_pid
wait_banner "$log4" "$pid4" 60
[[ $(key_in "$log4") == "$own_key" ]] || fail "own vault: printed the key '$(key_in "$log4")', not the one in $own/keys.txt"
if grep -qF "$key1" "$log4"; then fail "own vault: printed the demo's key"; fi
grep -qF '(db-prod is in the demo vault; in your own vault, list the names at ' "$log4" ||
  fail "own vault: the demo's entry names are not marked as the demo's"
check_curls "$log4" "$port4" own
note "own vault with KDBX_PASSWORD_FILE and API_KEYS_FILE: served with its own key"
stop_start "$pid4" "$port4"

passed=true
