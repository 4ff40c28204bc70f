#!/usr/bin/env bash
# firstreader.sh: a terminal's card step as much firmware does it: list the
# PC/SC readers, take the first one with a card in it, power the card and
# SELECT the payment directory (PPSE). Prints the readers it saw, then
# "CARD <reader> ATR <atr>" and "PPSE <status word>", or "NO CARD".
# The pcscd it asks is libpcsclite's: PCSCLITE_CSOCK_NAME, if set.
set -u
list=$(timeout 5 opensc-tool --list-readers </dev/null 2>&1) || { echo "NO READERS: $list"; exit 1; }
# opensc-tool's table: Nr.  Card  Features  Name (columns by position).
readers=$(printf '%s\n' "$list" | awk '/^Nr\./ { at = index($0, "Name") } at && $1 ~ /^[0-9]+$/ { print $1, $2, substr($0, at) }')
printf '%s\n' "$readers" | sed -n 's/^/READER /p'
n=$(printf '%s\n' "$readers" | awk '$2 == "Yes" { print $1; exit }')
if [ -z "$n" ]; then
	echo "NO CARD"
	exit 1
fi
name=$(printf '%s\n' "$readers" | awk -v n="$n" '$1 == n { sub(/^[0-9]+ [A-Za-z]+ /, ""); print; exit }')
atr=$(timeout 5 opensc-tool -r "$n" --atr </dev/null 2>&1 | tail -n 1)
echo "CARD $name ATR $atr"
out=$(timeout 5 opensc-tool -r "$n" -c default -s 00:A4:04:00:0E:32:50:41:59:2E:53:59:53:2E:44:44:46:30:31:00 </dev/null 2>&1)
sw=$(printf '%s\n' "$out" | sed -n 's/^Received (SW1=0x\(..\), SW2=0x\(..\)).*/\1\2/p' | tail -n 1)
echo "PPSE ${sw:-none}"
