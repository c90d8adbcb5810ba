#!/usr/bin/env bash
# Configure a freshly debootstrapped root file system before it is imported as the base image.
# Usage: setup-rootfs.sh ROOTFS SOURCES_LIST_FILE APT_CONF_FILE
#   SOURCES_LIST_FILE  apt sources (one-line format) to install as /etc/apt/sources.list
#   APT_CONF_FILE      apt settings copied from the building machine (may be empty)
set -euo pipefail

rootfs="$1"
sources="$2"
apt_conf="$3"

[[ -x "$rootfs/usr/bin/apt-get" ]] || { echo "setup-rootfs.sh: $rootfs is not a Debian root" >&2; exit 1; }

# Daemons installed by `apt-get install` in an image build must not start.
cat >"$rootfs/usr/sbin/policy-rc.d" <<'POLICY'
#!/bin/sh
exit 101
POLICY
chmod 0755 "$rootfs/usr/sbin/policy-rc.d"

# Same mirror as the building machine.
install -m 0644 "$sources" "$rootfs/etc/apt/sources.list"
rm -f "$rootfs"/etc/apt/sources.list.d/*

# Small images: no recommends, no docs/man/locales, no apt caches.
cat >"$rootfs/etc/apt/apt.conf.d/90beacon-minimal" <<'APTCONF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APTCONF
if [[ -s "$apt_conf" ]]; then
    install -m 0644 "$apt_conf" "$rootfs/etc/apt/apt.conf.d/91beacon-host"
fi
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/90beacon-minimal" <<'DPKGCONF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
DPKGCONF

# Drop caches and anything tied to the building machine.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin \
       "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* \
       "$rootfs"/tmp/* "$rootfs"/var/tmp/*
: >"$rootfs/etc/hostname"
: >"$rootfs/etc/resolv.conf"
rm -f "$rootfs/etc/machine-id" && : >"$rootfs/etc/machine-id"
