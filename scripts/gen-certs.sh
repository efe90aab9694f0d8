#!/usr/bin/env bash
# Generates throwaway certificates for the secure sample (TLS + mTLS on one machine):
#   ca.crt/ca.key            a private CA, valid 365 days
#   server.crt/server.key    signed by the CA, for 127.0.0.1 and localhost
#   alice.crt/alice.key      client certificate, CN=alice (the sample authorizes her)
#   mallory.crt/mallory.key  client certificate from the same CA, CN=mallory (TLS accepts her;
#                            the sample's authorization denies her)
# Usage: scripts/gen-certs.sh [DIR] [--force]
#   DIR defaults to samples/secure/certs in the repository. A complete set already in DIR is
#   kept (so running it twice changes nothing); --force makes a new one.
# The keys are for local demos only. DIR gets a .gitignore that keeps all of it out of git.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir=""
force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "gen-certs: unknown option $arg (try --help)" >&2; exit 2 ;;
    *) dir="$arg" ;;
  esac
done
dir="${dir:-$repo_root/samples/secure/certs}"

command -v openssl >/dev/null || { echo "gen-certs: openssl is not installed (apt-get install openssl)" >&2; exit 1; }

files=(ca.crt ca.key server.crt server.key alice.crt alice.key mallory.crt mallory.key)
complete=1
for f in "${files[@]}"; do [[ -s "$dir/$f" ]] || complete=0; done
if [[ $complete == 1 && $force == 0 ]]; then
  echo "gen-certs: kept the existing certificates in $dir (use --force to make new ones)"
  exit 0
fi

mkdir -p "$dir"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# One config for every command, so a host's openssl.cnf cannot change the result.
cat > "$work/openssl.cnf" <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
[alice_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:alice.local, URI:spiffe://rivet.sample/alice
[mallory_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:mallory.local, URI:spiffe://rivet.sample/mallory
CNF
export OPENSSL_CONF="$work/openssl.cnf"

# Runs openssl quietly (it chats on stderr even when all is well) and shows its output on failure.
ossl() {
  if ! openssl "$@" 2>"$work/stderr"; then
    echo "gen-certs: openssl $1 failed:" >&2
    cat "$work/stderr" >&2
    exit 1
  fi
}
days=365
# P-256 keys: as widely supported as RSA-2048 and generated in a millisecond.
newkey=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)

ossl req -x509 -new "${newkey[@]}" -keyout "$work/ca.key" -out "$work/ca.crt" \
  -subj "/CN=Rivet Sample CA" -days "$days" -config "$OPENSSL_CONF" -extensions ca_ext

sign() { # name subject extensions-section
  ossl req -new "${newkey[@]}" -keyout "$work/$1.key" -out "$work/$1.csr" -subj "$2" -config "$OPENSSL_CONF"
  ossl x509 -req -in "$work/$1.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
    -days "$days" -extfile "$OPENSSL_CONF" -extensions "$3" -out "$work/$1.crt"
  ossl verify -CAfile "$work/ca.crt" "$work/$1.crt" >/dev/null
}
sign server "/CN=localhost" server_ext
sign alice "/CN=alice/O=Rivet" alice_ext
sign mallory "/CN=mallory/O=Rivet" mallory_ext

# Write the set in one step, so an interrupted run never leaves a CA that does not match its leaves.
for f in "${files[@]}"; do cp "$work/$f" "$dir/$f"; done
chmod 600 "$dir"/*.key
printf '# Throwaway keys made by scripts/gen-certs.sh: never commit them.\n*\n' > "$dir/.gitignore"

echo "gen-certs: made in $dir (valid $days days):"
for f in ca server alice mallory; do
  subject="$(openssl x509 -in "$dir/$f.crt" -noout -subject | sed 's/^subject= *//')"
  san="$(openssl x509 -in "$dir/$f.crt" -noout -ext subjectAltName 2>/dev/null | sed -n '2p' | sed 's/^ *//')"
  printf '  %-12s %-12s %s%s\n' "$f.crt" "$f.key" "$subject" "${san:+  [$san]}"
done
