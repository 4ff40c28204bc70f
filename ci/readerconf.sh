#!/usr/bin/env bash
# readerconf.sh [LIB]: print the pcscd reader configuration of the emulated
# bench (a file for /etc/reader.conf.d).
#
# With LIB (the poshil IFD driver, libifdposhil.so): the event-driven
# driver serves "Virtual PCD 00 00".."00 03" on card ports 35963..35966,
# and Debian's stock vpcd serves "Stock vpcd 00 00" and "00 01" on
# 35973..35974, so benchmarks can compare the two in one pcscd.
# Without LIB: stock vpcd alone, as Debian configures it ("Virtual PCD" on
# 35963..35964).
set -euo pipefail
stock=/usr/lib/pcsc/drivers/serial/libifdvpcd.so
lib=${1:-}
if [ -n "$lib" ]; then
  cat <<CONF
# poshil: event-driven emulated card reader (drivers/ifd), vpcd wire protocol
FRIENDLYNAME "Virtual PCD"
DEVICENAME   0.0.0.0:35963:4
LIBPATH      $lib

# Debian's vpcd beside it, for comparison
FRIENDLYNAME "Stock vpcd"
DEVICENAME   /dev/null:35973
LIBPATH      $stock
CHANNELID    35973
CONF
else
  cat <<CONF
# Debian's vpcd (poshil IFD driver not in use)
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:0x8C7B
LIBPATH      $stock
CHANNELID    0x8C7B
CONF
fi
