#!/usr/bin/env bash
# Installs, upgrades, rolls back and removes the fleetwire edge agent on a Raspberry Pi or an
# edge box running systemd. Run as root. The layout (all under --root, default /):
#
#   /opt/fleetwire/<version>/        one folder per installed release, production deps only
#   /opt/fleetwire/current           link to the version that runs (upgrade/rollback switch it)
#   /usr/local/bin/fleetwire         link to current/bin/fleetwire
#   /etc/fleetwire/edge.json         config (root:fleetwire 640), written once, never overwritten
#   /etc/fleetwire/devices.json      device registry (root:fleetwire 640), written once
#   /etc/fleetwire/edge.env          secrets (root:root 600), read by systemd, never by argv
#   /var/lib/fleetwire/              data: the buffer, quarantine, photos (fleetwire:fleetwire 750)
#   /etc/systemd/system/fleetwire-edge.service
#
# Secrets never go on a command line: `install.sh set-secret NAME` reads the value from stdin.
set -euo pipefail

USAGE="Usage: install.sh <command> [options]

Commands:
  install <fleetwire-X.Y.Z.tar.gz>   unpack a release, install its production dependencies,
                                     create user, folders, config and unit; switch current to it
  upgrade <fleetwire-X.Y.Z.tar.gz>   the same, then restart the service on the new version
  rollback [<version>]               switch current back (default: the newest version older
                                     than current) and restart
  set-secret <NAME>                  store NAME=<one line from stdin> in /etc/fleetwire/edge.env
                                     (NAME: FLEETWIRE_EDGE_NODE_TOKEN, FLEETWIRE_EDGE_RETURN_TOKEN_SECRET,
                                     FLEETWIRE_EDGE_BRIDGE_PASSWORD)
  uninstall [--purge]                remove code, unit and links; config and data stay unless --purge
  status                             installed versions and the current one

Options:
  --root <dir>       install into this root instead of / (a scratch root or an image being
                     built); systemctl is not called then
  --user <name>      the service account (default: fleetwire, created as a system user when
                     missing; with --root it must already exist on this machine)
  --node-id <id>     nodeId written into a new edge.json (default: the host name)
  --cloud-url <url>  cloud.url written into a new edge.json (default: none, the agent buffers)
  --keep <n>         versions kept after an install or upgrade, current included (default: 3)
  -h, --help         this text

Environment:
  PNPM_COMMAND     how pnpm is run (default: npx -y pnpm@10.34.8)"

ROOT=/
SERVICE_USER=fleetwire
NODE_ID=$(hostname -s 2>/dev/null || echo edge-1)
CLOUD_URL=
KEEP=3
PURGE=no
PNPM=${PNPM_COMMAND:-npx -y pnpm@10.34.8}
NODE_MIN=20.19.0
UNIT=fleetwire-edge.service
SECRETS="FLEETWIRE_EDGE_NODE_TOKEN FLEETWIRE_EDGE_RETURN_TOKEN_SECRET FLEETWIRE_EDGE_BRIDGE_PASSWORD"

say() { echo "fleetwire-install: $*"; }
fail() { echo "fleetwire-install: $*" >&2; exit 1; }

COMMAND=${1:-}
[ -n "$COMMAND" ] || { echo "$USAGE"; exit 2; }
shift
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT=${2:?--root needs a folder}; shift 2 ;;
    --user) SERVICE_USER=${2:?--user needs a name}; shift 2 ;;
    --node-id) NODE_ID=${2:?--node-id needs an id}; shift 2 ;;
    --cloud-url) CLOUD_URL=${2:?--cloud-url needs a URL}; shift 2 ;;
    --keep) KEEP=${2:?--keep needs a number}; shift 2 ;;
    --purge) PURGE=yes; shift ;;
    -h|--help) echo "$USAGE"; exit 0 ;;
    -*) fail "unknown option $1 (see --help)" ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
[[ "$KEEP" =~ ^[1-9][0-9]*$ ]] || fail "--keep must be a positive number"
[[ "$NODE_ID" =~ ^[A-Za-z0-9_-]{1,64}$ ]] || fail "--node-id must be 1-64 letters, digits, _ or -"

ROOT=$(cd "$ROOT" && pwd)
R=${ROOT%/}
OPT=$R/opt/fleetwire
ETC=$R/etc/fleetwire
DATA=$R/var/lib/fleetwire
UNIT_FILE=$R/etc/systemd/system/$UNIT
LIVE=no
[ "$R" = "" ] && LIVE=yes

systemd_here() { [ "$LIVE" = yes ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; }

need_root() { [ "$(id -u)" = 0 ] || fail "run as root (it creates a system user and writes /opt, /etc and /var/lib)"; }

check_node() {
  command -v node >/dev/null || fail "Node.js ${NODE_MIN}+ is required (see docs/operations.md, 'What a Pi needs')"
  node -e "const [a,b,c]=process.versions.node.split('.').map(Number),[x,y,z]='${NODE_MIN}'.split('.').map(Number);process.exit(a>x||(a===x&&(b>y||(b===y&&c>=z)))?0:1)" \
    || fail "Node.js ${NODE_MIN}+ is required, found $(node --version)"
}

ensure_user() {
  if id "$SERVICE_USER" >/dev/null 2>&1; then return; fi
  [ "$LIVE" = yes ] || fail "user '$SERVICE_USER' does not exist on this machine: with --root, give --user of an existing account"
  say "creating system user $SERVICE_USER"
  useradd --system --user-group --home-dir /var/lib/fleetwire --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER"
}

# The account's own group (fleetwire's is fleetwire; an existing account's may be another).
service_group() { id -gn "$SERVICE_USER"; }

current_version() { [ -L "$OPT/current" ] && basename "$(readlink "$OPT/current")" || true; }

installed_versions() { [ -d "$OPT" ] && find "$OPT" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -V || true; }

switch_to() {
  local version=$1
  [ -x "$OPT/$version/bin/fleetwire" ] || fail "version $version is not installed in $OPT"
  ln -sfn "$version" "$OPT/current.new"
  mv -T "$OPT/current.new" "$OPT/current"
  say "current -> $version"
}

restart_service() {
  if systemd_here; then
    systemctl daemon-reload
    if systemctl is-active --quiet "$UNIT"; then systemctl restart "$UNIT"; say "restarted $UNIT"; fi
  fi
}

write_once() {
  local file=$1 mode=$2 owner=$3 content=$4
  if [ -e "$file" ]; then say "kept $file"; return; fi
  ( umask 077; printf '%s\n' "$content" >"$file" )
  chown "$owner" "$file"
  chmod "$mode" "$file"
  say "wrote $file"
}

# onnxruntime-node ships its native library for every platform (~290 MB); a Pi keeps its own (~60 MB).
prune_foreign_binaries() {
  local arch
  arch=$(node -p process.arch)
  for dir in "$1"/node_modules/.pnpm/onnxruntime-node@*/node_modules/onnxruntime-node/bin/napi-v*; do
    [ -d "$dir/linux/$arch" ] || continue
    find "$dir" -mindepth 1 -maxdepth 1 -type d ! -name linux -exec rm -rf {} +
    find "$dir/linux" -mindepth 1 -maxdepth 1 -type d ! -name "$arch" -exec rm -rf {} +
  done
}

unpack() {
  local tarball=$1 stage version
  [ -f "$tarball" ] || fail "no release tarball at $tarball"
  mkdir -p "$OPT"
  stage=$(mktemp -d "$OPT/.unpack.XXXXXX")
  tar -xzf "$tarball" -C "$stage"
  version=$(find "$stage" -mindepth 1 -maxdepth 1 -type d -name 'fleetwire-*' -printf '%f\n' | head -n 1)
  version=${version#fleetwire-}
  [ -n "$version" ] && [ -x "$stage/fleetwire-$version/bin/fleetwire" ] || { rm -rf "$stage"; fail "$tarball is not a fleetwire release"; }
  if [ -d "$OPT/$version" ]; then
    rm -rf "$stage"
    say "version $version is already unpacked; reinstalling its dependencies"
  else
    mv "$stage/fleetwire-$version" "$OPT/$version"
    rm -rf "$stage"
  fi
  say "installing production dependencies of $version ($PNPM install --prod --frozen-lockfile)"
  (cd "$OPT/$version" && $PNPM install --prod --frozen-lockfile --config.confirmModulesPurge=false >/dev/null) \
    || fail "installing the dependencies of $version failed (native modules: see docs/operations.md, 'What a Pi needs')"
  prune_foreign_binaries "$OPT/$version"
  chown -R root:root "$OPT/$version"
  chmod -R go-w "$OPT/$version"
  UNPACKED=$version
}

prune() {
  local current keep=$KEEP
  current=$(current_version)
  for version in $(installed_versions | sort -rV); do
    if [ "$version" = "$current" ]; then continue; fi
    keep=$((keep - 1))
    if [ "$keep" -le 0 ]; then rm -rf "${OPT:?}/$version"; say "removed old version $version"; fi
  done
}

edge_config() {
  local cloud=""
  [ -n "$CLOUD_URL" ] && cloud="\"cloud\": { \"url\": \"$CLOUD_URL\" },"
  cat <<EOF
{
  "nodeId": "$NODE_ID",
  "dataDir": "/var/lib/fleetwire/edge",
  "logLevel": "info",
  $cloud
  "devices": { "registryFile": "devices.json" },
  "mqtt": { "enabled": true, "host": "0.0.0.0", "port": 1883 },
  "http": { "host": "127.0.0.1", "port": 8080 }
}
EOF
}

cmd_install() {
  local tarball=${ARGS[0]:?install needs a release tarball}
  need_root
  check_node
  ensure_user
  unpack "$tarball"
  local version=$UNPACKED group
  group=$(service_group)
  mkdir -p "$ETC" "$DATA" "$(dirname "$UNIT_FILE")" "$R/usr/local/bin"
  chown "root:$group" "$ETC"
  chmod 750 "$ETC"
  chown "$SERVICE_USER:$group" "$DATA"
  chmod 750 "$DATA"
  write_once "$ETC/edge.json" 640 "root:$group" "$(edge_config)"
  write_once "$ETC/devices.json" 640 "root:$group" '{ "devices": [] }'
  write_once "$ETC/edge.env" 600 root:root "# fleetwire edge secrets, read by systemd (install.sh set-secret NAME < value)"
  sed -e "s/^User=fleetwire$/User=$SERVICE_USER/" -e "s/^Group=fleetwire$/Group=$group/" \
    "$OPT/$version/deploy/edge/$UNIT" >"$UNIT_FILE"
  chmod 644 "$UNIT_FILE"
  switch_to "$version"
  ln -sfn /opt/fleetwire/current/bin/fleetwire "$R/usr/local/bin/fleetwire"
  prune
  if systemd_here; then
    systemctl daemon-reload
    systemctl enable "$UNIT" >/dev/null
    say "enabled $UNIT; start it with: systemctl start $UNIT"
  fi
  say "installed fleetwire $version"
}

cmd_rollback() {
  need_root
  local current target=${ARGS[0]:-}
  current=$(current_version)
  if [ -z "$target" ]; then
    target=$(installed_versions | awk -v c="$current" '$0 == c { print prev; exit } { prev = $0 }')
    [ -n "$target" ] || fail "no version older than ${current:-none} is installed"
  fi
  switch_to "$target"
  restart_service
}

cmd_set_secret() {
  local name=${ARGS[0]:?set-secret needs a variable name} value
  need_root
  [[ " $SECRETS " == *" $name "* ]] || fail "$name is not a secret the agent reads ($SECRETS)"
  IFS= read -r value || [ -n "$value" ] || fail "no value on stdin"
  value=${value%$'\r'}
  [ -n "$value" ] || fail "empty value on stdin"
  mkdir -p "$ETC"
  local env=$ETC/edge.env next
  next=$(mktemp "$ETC/.edge.env.XXXXXX")
  chmod 600 "$next"
  { [ -f "$env" ] && grep -v "^$name=" "$env" || true; printf '%s=%s\n' "$name" "$value"; } >"$next"
  chown root:root "$next"
  mv "$next" "$env"
  say "stored $name in $env (mode 600); restart the service to use it"
}

cmd_uninstall() {
  need_root
  if systemd_here; then systemctl disable --now "$UNIT" >/dev/null 2>&1 || true; fi
  rm -f "$UNIT_FILE" "$R/usr/local/bin/fleetwire"
  rm -rf "$OPT"
  if systemd_here; then systemctl daemon-reload; fi
  if [ "$PURGE" = yes ]; then
    rm -rf "$ETC" "$DATA"
    if [ "$LIVE" = yes ] && id "$SERVICE_USER" >/dev/null 2>&1 && [ "$SERVICE_USER" = fleetwire ]; then userdel "$SERVICE_USER"; fi
    say "removed fleetwire, its config and its data"
  else
    say "removed fleetwire; kept $ETC and $DATA (uninstall --purge removes them)"
  fi
}

cmd_status() {
  local current
  current=$(current_version)
  for version in $(installed_versions); do
    if [ "$version" = "$current" ]; then echo "* $version (current)"; else echo "  $version"; fi
  done
  if systemd_here; then systemctl --no-pager status "$UNIT" | head -n 5 || true; fi
}

case "$COMMAND" in
  install) cmd_install ;;
  upgrade) cmd_install; restart_service ;;
  rollback) cmd_rollback ;;
  set-secret) cmd_set_secret ;;
  uninstall) cmd_uninstall ;;
  status) cmd_status ;;
  -h|--help|help) echo "$USAGE" ;;
  *) fail "unknown command '$COMMAND' (see --help)" ;;
esac
