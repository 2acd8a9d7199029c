#!/usr/bin/env bash
# Quick start: install, build, create the demo vault when there is none, start the
# gateway and print its URL, an API key and two curl examples. Run again, it reuses what is there.
#
#   ./start.sh                      # http://127.0.0.1:8000
#   PORT=8080 ./start.sh            # another port
#   KDBX_PATH=~/my.kdbx ./start.sh  # your own vault (see README.md for its password and keys)
#   TLS_CERT_FILE=cert.pem TLS_KEY_FILE=key.pem ./start.sh  # https://127.0.0.1:8000
#
# It never overwrites a file. Ctrl-C stops the gateway.
set -euo pipefail

say() { printf 'start.sh: %s\n' "$*"; }
die() { printf 'start.sh: %s\n' "$*" >&2; exit 1; }

# Paths in the environment are relative to where the user ran the script; make them absolute
# before moving to the repository, so that `KDBX_PATH=my.kdbx ../kdbx-gateway/start.sh` works.
for variable in KDBX_PATH KDBX_PASSWORD_FILE KDBX_KEYFILE API_KEYS_FILE API_KEY_FILE \
  MATTSTASH_DB_PATH MATTSTASH_API_KEY_FILE MATTSTASH_API_KEYS_FILE TLS_CERT_FILE TLS_KEY_FILE \
  AUDIT_LOG_FILE RATE_LIMIT_REDIS_URL_FILE; do
  value=${!variable-}
  if [[ -n $value && $value != /* ]]; then
    export "$variable=$PWD/$value"
  fi
done

cd "$(dirname "${BASH_SOURCE[0]}")"

# --- Node and npm ---------------------------------------------------------------------------
command -v node >/dev/null 2>&1 ||
  die "Node.js is not installed; install Node.js 20.19 or newer (https://nodejs.org/, or nvm) and run ./start.sh again"
node_version=$(node -p 'process.versions.node' 2>/dev/null) || die "cannot run 'node'; install Node.js 20.19 or newer"
node_major=${node_version%%.*}
node_minor=${node_version#*.}
node_minor=${node_minor%%.*}
if ((node_major < 20 || (node_major == 20 && node_minor < 19))); then
  die "Node.js 20.19 or newer is needed (package.json \"engines\"); this is Node.js $node_version at $(command -v node)"
fi
command -v npm >/dev/null 2>&1 || die "npm is not installed (it comes with Node.js; some Linux packages ship it separately as 'npm')"

# --- Install --------------------------------------------------------------------------------
installed=false
if [[ ! -d node_modules ]]; then
  say "installing dependencies: npm ci"
  npm ci
  installed=true
elif [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  say "installing dependencies: npm ci (package-lock.json changed since the last install)"
  npm ci
  installed=true
else
  say "dependencies up to date; not running npm ci"
fi

# --- Build ----------------------------------------------------------------------------------
main_js=dist/server/main.js
stale_source() {
  # The first source newer than the build, if any.
  find server native package.json tsconfig*.json -newer "$main_js" -print 2>/dev/null | head -n 1
}
if [[ ! -f $main_js || $installed == true || -n $(stale_source) ]]; then
  say "building: npm run build"
  if ! npm run build; then
    # tsc writes its output even when it reports errors; make sure the next run builds again.
    rm -f "$main_js"
    die "the build failed (see above)"
  fi
else
  say "build up to date; not rebuilding"
fi

# --- Vault ----------------------------------------------------------------------------------
vault=${KDBX_PATH:-${MATTSTASH_DB_PATH:-data/vault.kdbx}}
created_demo=false
if [[ -e $vault ]]; then
  # Where the demo was made, the gateway picks up its password and keys files by default, whatever
  # vault it serves: the demo's password cannot open another vault (and the error would name a file
  # the user never chose), and the demo's key, in clear in secrets/, would read the user's vault and
  # be printed below as theirs. Refuse before serving, naming those files and what replaces them.
  if [[ ! $vault -ef data/vault.kdbx ]] && grep -Eqs '^[[:space:]]*demo:' secrets/api_keys.txt; then
    defaults=
    settings=
    if [[ -z ${KDBX_PASSWORD-}${KDBX_PASSWORD_FILE-}${KDBX_KEYFILE-} && -e secrets/kdbx_password.txt ]]; then
      defaults=secrets/kdbx_password.txt
      settings="KDBX_PASSWORD_FILE to its password file"
    fi
    if [[ -z ${API_KEYS_FILE-}${MATTSTASH_API_KEYS_FILE-} ]]; then
      defaults="${defaults:+$defaults and }secrets/api_keys.txt (its key 'demo' would read your vault)"
      settings="${settings:+$settings and }API_KEYS_FILE to your keys file (bin/kdbx-gateway keygen makes a key and its line)"
    fi
    if [[ -n $defaults ]]; then
      vault_variable=KDBX_PATH
      [[ -n ${KDBX_PATH-} ]] || vault_variable=MATTSTASH_DB_PATH
      die "$vault_variable is $vault, not the demo vault, but the demo's $defaults would be used for it by default: for your own vault, set $settings"
    fi
  fi
  say "using the existing vault $vault"
else
  # `demo` writes data/vault.kdbx with a random password; the server must then read that
  # password and no other key, so refuse the settings that would contradict it. A vault named in
  # the environment is the user's own: a typo there must not become a demo vault served in its place.
  if [[ -n ${KDBX_PATH-} ]]; then
    die "KDBX_PATH is $vault, which does not exist: correct the path, or unset KDBX_PATH to create the demo vault in data/"
  fi
  if [[ -n ${MATTSTASH_DB_PATH-} ]]; then
    die "MATTSTASH_DB_PATH is $vault, which does not exist: correct the path, or unset it to create the demo vault in data/"
  fi
  if [[ -n ${KDBX_PASSWORD-} ]]; then
    die "there is no vault at $vault, and KDBX_PASSWORD is set: point KDBX_PATH at your vault, or unset KDBX_PASSWORD to create the demo vault"
  fi
  if [[ -n ${KDBX_KEYFILE-} ]]; then
    die "there is no vault at $vault, and KDBX_KEYFILE is set: point KDBX_PATH at your vault, or unset KDBX_KEYFILE to create the demo vault"
  fi
  say "no vault at $vault; creating the demo vault: node $main_js demo"
  # Only demo's first line (the files it made): its key and "how to start" would repeat what this
  # script prints once the gateway serves.
  if ! demo_out=$(node "$main_js" demo 2>&1); then
    printf '%s\n' "$demo_out" >&2
    die "the demo could not be created (see above); it never overwrites files: move them away, or point KDBX_PATH at your own vault"
  fi
  printf '%s\n' "${demo_out%%$'\n'*}"
  created_demo=true
fi

# --- Where the server listens ---------------------------------------------------------------
host=${HOST:-127.0.0.1}
port=${PORT:-8000}
if [[ $port == 0 ]]; then
  die "PORT=0 picks a random port, and then start.sh cannot print the URL; set PORT to a free port, e.g. PORT=8080"
fi
case $host in
  0.0.0.0) connect_host=127.0.0.1 ;; # listening everywhere; talk to it on loopback
  ::) connect_host='[::1]' ;;
  *:*) connect_host="[$host]" ;;
  *) connect_host=$host ;;
esac
# The gateway serves HTTPS when both files are set (one alone, it refuses to start and says why).
scheme=http
if [[ -n ${TLS_CERT_FILE-} && -n ${TLS_KEY_FILE-} ]]; then scheme=https; fi
url="$scheme://$connect_host:$port"

have_curl=false
command -v curl >/dev/null 2>&1 && have_curl=true

# Prints the HTTP status of GET $1 (000 when nothing answers). The certificate is not checked: this
# only asks our own gateway, on this machine, whether it is ready; its name may not match the address.
http_status() {
  if [[ $have_curl == true ]]; then
    curl -g -k -s -o /dev/null -w '%{http_code}' --max-time 2 "$1" 2>/dev/null || true
  else
    node -e '
      const url = process.argv[1];
      const get = require(url.startsWith("https:") ? "https" : "http").get;
      const req = get(url, { timeout: 2000, rejectUnauthorized: false }, (res) => {
        process.stdout.write(String(res.statusCode)); res.resume(); process.exit(0);
      });
      req.on("timeout", () => req.destroy());
      req.on("error", () => { process.stdout.write("000"); process.exit(0); });
    ' "$1" 2>/dev/null || printf '000'
  fi
}

# Something already answering there (an earlier ./start.sh?) would answer our readiness check.
if [[ $port =~ ^[0-9]+$ ]] && node -e '
  const s = require("net").connect({ host: process.argv[1], port: Number(process.argv[2]) });
  s.on("connect", () => process.exit(0));
  s.on("error", () => process.exit(1));
  setTimeout(() => process.exit(1), 2000);
' "${connect_host//[\[\]]/}" "$port" 2>/dev/null; then
  die "something is already listening on $connect_host:$port (another ./start.sh?); stop it, or choose another port: PORT=$((port == 65535 ? 8001 : port + 1)) ./start.sh"
fi

# --- Run ------------------------------------------------------------------------------------
server_pid=
stderr_file=$(mktemp "${TMPDIR:-/tmp}/kdbx-gateway-stderr.XXXXXX")
stopping=false

cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
  fi
  rm -f "$stderr_file"
}
forward() {
  stopping=true
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -s "$1" "$server_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'forward INT' INT
trap 'forward TERM' TERM

# Waits for the server to exit (a forwarded signal interrupts `wait`); sets server_status.
server_status=0
wait_server() {
  while :; do
    server_status=0
    wait "$server_pid" || server_status=$?
    kill -0 "$server_pid" 2>/dev/null || break
  done
}
show_stderr() {
  if [[ -s $stderr_file ]]; then cat "$stderr_file" >&2; fi
}

node --max-semi-space-size=4 "$main_js" serve 2>"$stderr_file" &
server_pid=$!

deadline=$((SECONDS + 30))
while :; do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    wait_server
    show_stderr
    if [[ $stopping == true ]]; then exit "$server_status"; fi
    if grep -q 'already in use' "$stderr_file"; then
      say "choose another port, e.g. PORT=$((port == 65535 ? 8001 : port + 1)) ./start.sh" >&2
    fi
    die "the gateway stopped before it was ready (exit status $server_status)"
  fi
  [[ $(http_status "$url/ready") == 200 ]] && break
  if ((SECONDS >= deadline)); then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait_server
    show_stderr
    die "the gateway did not answer $url/ready with 200 within 30 seconds; stopped it"
  fi
  sleep 0.25 || true
done

# --- Tell the user --------------------------------------------------------------------------
keys_file=${API_KEYS_FILE:-${MATTSTASH_API_KEYS_FILE:-secrets/api_keys.txt}}
key=
key_name=
only_hashes=false
if [[ -r $keys_file ]]; then
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line%$'\r'}
    # Trim blanks the way the gateway does.
    line=${line#"${line%%[![:space:]]*}"}
    line=${line%"${line##*[![:space:]]}"}
    [[ -z $line || $line == '#'* ]] && continue
    if [[ $line == *:* && $line != sha256:* ]]; then
      # Names and keys hold no blanks, so the gateway reads `name: key` as `name:key`.
      key_name=${line%%:*}
      key_name=${key_name%"${key_name##*[![:space:]]}"}
      key=${line#*:}
      key=${key#"${key%%[![:space:]]*}"}
      [[ $key == sha256:* ]] && { only_hashes=true; key=; key_name=; continue; }
    elif [[ $line == sha256:* ]]; then
      only_hashes=true
      continue
    else
      key=$line
    fi
    break
  done <"$keys_file"
fi

if [[ -n $key && $key =~ ^[A-Za-z0-9._~+/=-]+$ ]]; then
  header="\"X-API-Key: $key\""
elif [[ -n $key ]]; then
  header="'X-API-Key: ${key//\'/\'\\\'\'}'"
else
  header='"X-API-Key: YOUR_KEY"'
fi
case $url in
  *\[*) quoted_url() { printf "'%s'" "$url$1"; } ;; # an IPv6 address: keep the shell off the brackets
  *) quoted_url() { printf '%s' "$url$1"; } ;;
esac

# The printed lines check the certificate, as a client should: --cacert trusts the gateway's own
# certificate, self-signed or not. Where curl still refuses it here (most often: it names neither
# this address nor a host that resolves here), they say -k instead, and why.
curl_options=-s
tls_refused=
if [[ $scheme == https ]]; then
  if [[ $TLS_CERT_FILE =~ ^[A-Za-z0-9._~+/=@%:,-]+$ ]]; then
    curl_options="-s --cacert $TLS_CERT_FILE"
  else
    curl_options="-s --cacert '${TLS_CERT_FILE//\'/\'\\\'\'}'"
  fi
  if [[ $have_curl == true ]] &&
    ! tls_refused=$(curl -g -sS --cacert "$TLS_CERT_FILE" -o /dev/null --max-time 2 "$url/health" 2>&1); then
    curl_options='-s -k'
    tls_refused=${tls_refused%%$'\n'*}
    tls_refused=${tls_refused#curl: (*) }
  fi
fi

echo
echo "kdbx-gateway is running at $url"
if [[ $host == 0.0.0.0 || $host == :: ]]; then
  echo "(listening on all interfaces, $host:$port)"
fi
if [[ -n $key ]]; then
  echo "API key: $key (from $keys_file)"
elif [[ $only_hashes == true ]]; then
  echo "API key: cannot be shown: $keys_file holds only sha256: hashes; use your own key in place of YOUR_KEY"
elif [[ -n ${API_KEY-}${API_KEY_FILE-}${MATTSTASH_API_KEY-}${MATTSTASH_API_KEY_FILE-} ]]; then
  echo "API key: the one you set in API_KEY (or API_KEY_FILE); use it in place of YOUR_KEY"
else
  echo "API key: none found in $keys_file; use your own key in place of YOUR_KEY"
fi
echo
echo "Try:"
echo "curl $curl_options -H $header $(quoted_url /api/v1/credentials/db-prod)"
echo "curl $curl_options -H $header $(quoted_url /api/v1/db-url/db-prod)"
if [[ $curl_options == '-s -k' ]]; then
  echo "(-k: curl does not accept $TLS_CERT_FILE for $connect_host with --cacert: ${tls_refused:-it refused it})"
fi
# The demo's entries only where the demo's key opens the demo's vault; a key merely named demo is
# no proof when the vault is another.
if [[ $created_demo != true && ! ($key_name == demo && $vault -ef data/vault.kdbx) ]]; then
  echo "(db-prod is in the demo vault; in your own vault, list the names at $url/api/v1/credentials)"
fi
echo
echo "Press Ctrl-C to stop it."
echo

# Stay in the foreground until the gateway stops; leave with its exit status.
wait_server
show_stderr
if ((server_status != 0)); then exit "$server_status"; fi
