#!/usr/bin/env bash
# sign.sh FILE... — Authenticode-signs Windows .exe and .msi files in place (osslsigncode, SHA-256).
#
# The certificate, in this order:
#   SEALDESK_SIGN_PFX=path.pfx [SEALDESK_SIGN_PASSWORD=…]     a PKCS #12 file (certificate chain + key)
#   SEALDESK_SIGN_CERT=chain.pem SEALDESK_SIGN_KEY=key.pem [SEALDESK_SIGN_PASSWORD=…]
#   neither: a throwaway test PKI made here, once, in $SEALDESK_TEST_PKI (default build/windows/testpki):
#            test-root.pem (a root CA that exists only on this machine) and a code-signing
#            certificate it issued. Never committed; only `osslsigncode verify -CAfile test-root.pem`
#            (and a test machine that imports the root) accepts such signatures.
# SEALDESK_SIGN_TSA=URL adds an RFC 3161 timestamp (e.g. http://timestamp.digicert.com, or a
# sealdesk-server's /tsa), so the signature stays valid after the certificate expires.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: sign.sh FILE..." >&2; exit 2; }
command -v osslsigncode >/dev/null || { echo "sign.sh: osslsigncode is not installed (apt-get install osslsigncode)" >&2; exit 1; }

args=()
if [ -n "${SEALDESK_SIGN_PFX:-}" ]; then
	args=(-pkcs12 "$SEALDESK_SIGN_PFX")
	[ -z "${SEALDESK_SIGN_PASSWORD:-}" ] || args+=(-pass "$SEALDESK_SIGN_PASSWORD")
	echo "sign.sh: signing with $SEALDESK_SIGN_PFX"
elif [ -n "${SEALDESK_SIGN_CERT:-}" ]; then
	[ -n "${SEALDESK_SIGN_KEY:-}" ] || { echo "sign.sh: SEALDESK_SIGN_CERT needs SEALDESK_SIGN_KEY" >&2; exit 2; }
	args=(-certs "$SEALDESK_SIGN_CERT" -key "$SEALDESK_SIGN_KEY")
	[ -z "${SEALDESK_SIGN_PASSWORD:-}" ] || args+=(-pass "$SEALDESK_SIGN_PASSWORD")
	echo "sign.sh: signing with $SEALDESK_SIGN_CERT"
else
	pki=${SEALDESK_TEST_PKI:-build/windows/testpki}
	if [ ! -s "$pki/codesign.pem" ] || [ ! -s "$pki/codesign.key" ] || [ ! -s "$pki/test-root.pem" ]; then
		mkdir -p "$pki"
		tmp=$(mktemp -d)
		trap 'rm -rf "$tmp"' EXIT
		openssl req -x509 -newkey rsa:3072 -nodes -days 3650 -sha256 \
			-subj "/O=SealDesk test/CN=SealDesk throwaway test root $(date -u +%Y%m%dT%H%M%S)" \
			-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
			-keyout "$tmp/root.key" -out "$pki/test-root.pem" 2>/dev/null
		openssl req -newkey rsa:3072 -nodes -subj "/O=SealDesk test/CN=SealDesk test code signing" \
			-keyout "$pki/codesign.key" -out "$tmp/cs.csr" 2>/dev/null
		printf '%s\n' basicConstraints=critical,CA:FALSE keyUsage=critical,digitalSignature \
			extendedKeyUsage=critical,codeSigning subjectKeyIdentifier=hash authorityKeyIdentifier=keyid >"$tmp/ext"
		openssl x509 -req -in "$tmp/cs.csr" -CA "$pki/test-root.pem" -CAkey "$tmp/root.key" \
			-CAcreateserial -days 825 -sha256 -extfile "$tmp/ext" -out "$tmp/leaf.pem" 2>/dev/null
		cat "$tmp/leaf.pem" "$pki/test-root.pem" >"$pki/codesign.pem"
		chmod 600 "$pki/codesign.key"
		# the root's key is thrown away: nothing more can ever be issued under this root
		echo "sign.sh: made a throwaway test root $pki/test-root.pem"
	fi
	args=(-certs "$pki/codesign.pem" -key "$pki/codesign.key")
fi
[ -z "${SEALDESK_SIGN_TSA:-}" ] || args+=(-ts "$SEALDESK_SIGN_TSA")

for f in "$@"; do
	out="$f.signing"
	osslsigncode sign "${args[@]}" -h sha256 -n "SealDesk" -i "https://sealdesk.invalid" \
		-in "$f" -out "$out" >/dev/null || { rm -f "$out"; echo "sign.sh: signing $f failed" >&2; exit 1; }
	mv -f "$out" "$f"
	echo "sign.sh: signed $f${SEALDESK_SIGN_TSA:+ (timestamp: $SEALDESK_SIGN_TSA)}"
done
