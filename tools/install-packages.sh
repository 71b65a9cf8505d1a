#!/usr/bin/env bash
# Debian packages the tests run for real: git (with git-shell and http-backend) and an
# OpenSSH server for GitRepository tests over SSH; age (age-keygen) and gnupg (gpg, which
# the worker imports a decryption Secret's PGP keys with and sops decrypts them with, and
# which checks GitRepository signatures) for the SOPS and signature tests; openssl for
# the certificate authority of the HTTPS client-certificate tests; docker-compose, whose
# `config` validates our docker-compose.yml without a Docker engine; librsvg2-bin
# (rsvg-convert) for the bench's plot. Installs only what is missing.
set -euo pipefail
packages=(git openssh-server openssh-client age gnupg openssl docker-compose librsvg2-bin)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "debian packages present: ${packages[*]}"
  exit 0
fi
echo "installing debian packages: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
