#!/usr/bin/env bash
# Regenerates the TLS test material (committed; valid for 100 years): a test CA (ca.pem; its key is
# thrown away), a server certificate for localhost / 127.0.0.1 / ::1 signed by it
# (server-cert.pem, server-key.pem), an unrelated key (other-key.pem, for "key does not match") and
# the server key encrypted (server-key-encrypted.pem).
# All EC P-256. Used by tests/unit/net, tests/e2e/{python,js,cli,hostile}. NOT for production use.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/ca-key.pem"
openssl req -x509 -new -key "$tmp/ca-key.pem" -sha256 -days 36525 -subj "/CN=Sluice Test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out server-key.pem
openssl req -new -key server-key.pem -subj "/CN=localhost" -out "$tmp/server.csr"
cat >"$tmp/ext.cnf" <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
openssl x509 -req -in "$tmp/server.csr" -CA ca.pem -CAkey "$tmp/ca-key.pem" -CAcreateserial \
  -CAserial "$tmp/ca.srl" -sha256 -days 36524 -extfile "$tmp/ext.cnf" -out server-cert.pem
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other-key.pem
# The server key again, encrypted (passphrase "sluice-test"): the server must refuse it, not prompt.
openssl pkey -in server-key.pem -aes256 -passout pass:sluice-test -out server-key-encrypted.pem
openssl verify -CAfile ca.pem server-cert.pem
