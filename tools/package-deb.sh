#!/usr/bin/env bash
# Builds the Debian package: tools/package-deb.sh path/to/sluice OUT_DIR (make package).
# /usr/bin/sluice (stripped), the systemd unit, /etc/sluice/sluice.toml as a conffile, the docs;
# the sluice user and /var/lib/sluice are made by postinst. Depends: from dpkg-shlibdeps.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:?the sluice binary}
out=${2:?output dir}
version=$(sed -n 's/^project(sluice VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[[ -n "$version" ]] || { echo "cannot read the version from CMakeLists.txt" >&2; exit 1; }
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/sluice_${version}_${arch}"

install -D -m 0755 "$binary" "$root/usr/bin/sluice"
strip --strip-unneeded "$root/usr/bin/sluice"
install -D -m 0644 packaging/sluice.service "$root/lib/systemd/system/sluice.service"
install -D -m 0640 packaging/sluice.toml "$root/etc/sluice/sluice.toml"
install -d "$root/usr/share/doc/sluice"
cp README.md "$root/usr/share/doc/sluice/"
cp -r docs "$root/usr/share/doc/sluice/"
[[ -f models/NOTICE ]] && cp models/NOTICE "$root/usr/share/doc/sluice/NOTICE.models"

install -d "$root/DEBIAN"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$root/DEBIAN/"
echo /etc/sluice/sluice.toml >"$root/DEBIAN/conffiles"
# dpkg-shlibdeps wants a debian/control above the files it reads.
mkdir -p "$stage/debian"
printf 'Source: sluice\n\nPackage: sluice\nArchitecture: any\n' >"$stage/debian/control"
depends=$(cd "$stage" && dpkg-shlibdeps -O "sluice_${version}_${arch}/usr/bin/sluice" 2>/dev/null |
  sed -n 's/^shlibs:Depends=//p')
[[ -n "$depends" ]] || { echo "dpkg-shlibdeps found no dependencies" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<CONTROL
Package: sluice
Version: $version
Architecture: $arch
Maintainer: Sluice developers <sluice@localhost>
Installed-Size: $size
Depends: $depends, adduser
Section: net
Priority: optional
Description: AWS-compatible messaging server (SQS, SNS, EventBridge, KMS, SSM, CloudWatch, IAM)
 One binary serving the AWS messaging APIs to unchanged AWS SDKs, CLI and Terraform: SQS queues
 (standard, FIFO, fair), SNS topics, EventBridge buses and rules, KMS keys, SSM parameters,
 CloudWatch metrics and alarms, IAM users and policies, STS. Durable embedded store with
 encryption at rest, SigV4 and IAM-style policies, TLS, Prometheus metrics.
CONTROL
mkdir -p "$out"
dpkg-deb --root-owner-group --build "$root" "$out/" >/dev/null
echo "$out/sluice_${version}_${arch}.deb"
