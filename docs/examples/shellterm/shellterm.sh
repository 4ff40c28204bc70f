#!/usr/bin/env bash
# shellterm: a tiny payment terminal written as a shell script, to show that
# poshil can test a firmware it has no Go code for. poshil drives it through
# a firmware profile (fixtures/profiles/shellterm.yaml) and a bench file; see
# docs/third-party.md.
#
# It is a demonstration, not a terminal: it reads a contact chip card
# through PC/SC with OpenSC's opensc-tool (SELECT PPSE, SELECT the first
# application, offline plaintext PIN with VERIFY) and approves by itself
# (no host). Limits: the PIN block crosses opensc-tool's command line (test
# PINs only!); one application, no GPO/READ RECORD/GENERATE AC.
#
# Input, one command per line on stdin:
#   sale AMOUNT [REF]   start a sale, AMOUNT in minor units (1250 = 12.50)
#   DIGITS              the PIN, when ENTER PIN was shown
#   cancel              cancel the sale (while waiting for the card or PIN)
#   last                repeat the last result (LAST CODE ...)
#   reprint             print the last receipt again (a copy, no new sale)
#   status              READY
# Output: its own texts: SHELLTERM 1.0 READY, AMOUNT 12.50,
#   PLEASE INSERT CARD, READING CARD, ENTER PIN, WRONG PIN, 2 TRIES LEFT,
#   RESULT OK AUTH 123456 REF A1, RESULT ERR_CHIP, RESULT PIN_BLOCKED TRIES 0,
#   RESULT CANCEL, RESULT TIMEOUT, RESULT NO_APP, RESULT BLOCKED,
#   CLOCK INVALID <date> and RESULT CLOCK (its clock is before 2023),
#   PRINTER ERROR OFFLINE|NO_ANSWER, READY after a reprint.
#
# Settings (environment): SHELLTERM_READER (PC/SC reader index for
# opensc-tool -r, default: $1, else 0 = "Virtual PCD 00 00"),
# SHELLTERM_CARD_WAIT and SHELLTERM_PIN_WAIT (seconds, default 15 and 30),
# SHELLTERM_APDU_TIMEOUT (seconds per opensc-tool call, default 5),
# SHELLTERM_PRINTER (serial device of an ESC/POS receipt printer; unset: no
# receipts).

set -u

READER=${SHELLTERM_READER:-${1:-0}}
CARD_WAIT=${SHELLTERM_CARD_WAIT:-15}
PIN_WAIT=${SHELLTERM_PIN_WAIT:-30}
APDU_TIMEOUT=${SHELLTERM_APDU_TIMEOUT:-5}
SELECT_PPSE=00:A4:04:00:0E:32:50:41:59:2E:53:59:53:2E:44:44:46:30:31:00

LAST_RESULT=NONE
PRINTER=${SHELLTERM_PRINTER:-}
LAST_RECEIPT=()
if [[ -n $PRINTER ]]; then
	exec 3<>"$PRINTER" || exit 1
fi

say() { printf '%s\n' "$*"; }

# card_tool ARGS...: opensc-tool on our reader, bounded, its output (which
# may hold a PIN block) kept in $OUT and never printed.
card_tool() {
	OUT=$(timeout "$APDU_TIMEOUT" opensc-tool -r "$READER" -c default "$@" </dev/null 2>&1)
}

# last_sw: the status word of the last APDU in $OUT, e.g. 9000, or "".
last_sw() {
	printf '%s\n' "$OUT" | sed -n 's/^Received (SW1=0x\(..\), SW2=0x\(..\)).*/\1\2/p' | tail -n 1 | tr a-f A-F
}

# result CODE [TEXT...]: the final outcome of a sale.
result() {
	LAST_RESULT="$*"
	say "RESULT $*"
}

# printer_status: the answer to DLE EOT 1 (ESC/POS real-time printer
# status) as a number; fails when the printer does not answer within 1 s.
printer_status() {
	local LC_ALL=C b
	printf '\x10\x04\x01' >&3 || return 1
	IFS= read -r -d '' -t 1 -N 1 -u 3 b || return 1
	printf '%d' "'$b"
}

# printer_ready: 0 when the printer prints; else says PRINTER ERROR and
# fails. Bit 3 of DLE EOT 1 is "offline" (paper out, cover open, jam...).
printer_ready() {
	local s
	if ! s=$(printer_status); then
		say "PRINTER ERROR NO_ANSWER"
		return 1
	fi
	if ((s & 8)); then
		say "PRINTER ERROR OFFLINE"
		return 1
	fi
}

# print_receipt LINES...: one receipt on the printer, its status checked
# before and after every line; feed and cut at the end.
print_receipt() {
	local l
	[[ -n $PRINTER ]] || return 0
	printer_ready || return 1
	printf '\x1b@' >&3
	for l in "$@"; do
		printf '%s\n' "$l" >&3
		printer_ready || return 1
	done
	printf '\x1bd\x03\x1dV\x01' >&3
}

# wait_card: until a card is in the reader (0), the sale is cancelled (1)
# or CARD_WAIT passes (2).
wait_card() {
	local deadline=$((SECONDS + CARD_WAIT)) cmd
	while ((SECONDS < deadline)); do
		if timeout "$APDU_TIMEOUT" opensc-tool -r "$READER" -a </dev/null >/dev/null 2>&1; then
			return 0 # a card answers (even a mute one: its ATR is empty)
		fi
		if read -r -t 0.2 cmd && [[ $cmd == cancel ]]; then
			return 1
		fi
	done
	return 2
}

# first_aid: the first application (tag 4F) of the PPSE answer in $OUT, as
# colon-separated hex, or "".
first_aid() {
	local hex i n
	hex=$(printf '%s\n' "$OUT" | sed -n '/^Received/,$p' | tail -n +2 | cut -c1-48)
	read -r -a b <<<"$(printf '%s' "$hex" | tr '\n' ' ')"
	for ((i = 0; i + 1 < ${#b[@]}; i++)); do
		if [[ ${b[i]} == 4F ]]; then
			n=$((16#${b[i + 1]}))
			if ((n >= 5 && n <= 16 && i + 1 + n < ${#b[@]})); then
				local IFS=:
				printf '%s' "${b[*]:i+2:n}"
				return
			fi
		fi
	done
}

# pin_block DIGITS: ISO 9564 format 2 (2N PIN F...), colon-separated hex.
pin_block() {
	local nib out i
	nib=$(printf '2%X%s' "${#1}" "$1")
	while ((${#nib} < 16)); do nib+=F; done
	out=${nib:0:2}
	for ((i = 2; i < 16; i += 2)); do out+=:${nib:i:2}; done
	printf '%s' "$out"
}

sale() {
	local amount=$1 ref=${2:-} refText="" aid sw pin tries auth now
	[[ -n $ref ]] && refText=" REF $ref"
	if ! [[ $amount =~ ^[0-9]+$ ]]; then
		say "ERR BAD AMOUNT"
		return
	fi
	# The terminal's clock: date is a C program, so poshil's clock fault
	# (libfaketime) moves it. A clock before 2023, the year shellterm was
	# written, is one it knows is wrong: it refuses to trade on it.
	now=$(date '+%Y-%m-%d %H:%M:%S')
	if [[ $now < 2023 ]]; then
		say "CLOCK INVALID $now"
		result "CLOCK$refText"
		return
	fi
	say "AMOUNT $((10#$amount / 100)).$(printf '%02d' $((10#$amount % 100)))"
	say "PLEASE INSERT CARD"
	wait_card
	case $? in
	1) result "CANCEL$refText"; return ;;
	2) result "TIMEOUT$refText"; return ;;
	esac
	say "READING CARD"
	card_tool -s "$SELECT_PPSE"
	sw=$(last_sw)
	case $sw in
	9000) ;;
	6A82) result "NO_APP$refText"; return ;;
	6A81) result "BLOCKED$refText"; return ;;
	*) # no ATR, mute card, error status: say why, then the outcome
		say "CHIP: $(printf '%s\n' "$OUT" | grep -v '^Sending' | head -n 1)"
		result "ERR_CHIP$refText"
		return
		;;
	esac
	aid=$(first_aid)
	if [[ -z $aid ]]; then
		result "NO_APP$refText"
		return
	fi
	while :; do
		say "ENTER PIN"
		if ! read -r -t "$PIN_WAIT" pin; then
			result "TIMEOUT$refText"
			return
		fi
		if [[ $pin == cancel ]]; then
			result "CANCEL$refText"
			return
		fi
		if ! [[ $pin =~ ^[0-9]{4,12}$ ]]; then
			say "PIN MUST BE 4 TO 12 DIGITS"
			continue
		fi
		card_tool -s "00:A4:04:00:$(printf '%02X' $(((${#aid} + 1) / 3))):$aid:00" -s "00:20:00:80:08:$(pin_block "$pin")"
		sw=$(last_sw)
		pin="" OUT="" # OUT held the PIN block: only the status word is kept
		case $sw in
		9000) break ;;
		63C0 | 6983) result "PIN_BLOCKED TRIES 0$refText"; return ;;
		63C?)
			tries=$((16#${sw:3:1}))
			say "WRONG PIN, $tries TRIES LEFT"
			;;
		*) result "ERR_CHIP$refText"; return ;;
		esac
	done
	say "PIN OK"
	auth=$(printf '%06d' $(((RANDOM * 32768 + RANDOM) % 1000000)))
	LAST_RECEIPT=("SHELLTERM 1.0" "$now" "SALE" "AMOUNT $((10#$amount / 100)).$(printf '%02d' $((10#$amount % 100)))" "AUTH $auth" "REF ${ref:--}" "RESULT OK")
	print_receipt "${LAST_RECEIPT[@]}" # a printer error never changes the result
	result "OK AUTH $auth$refText"
}

# Sourced (docs/examples/oneshot does), shellterm only lends its card
# functions; run, it is the terminal.
if [[ ${BASH_SOURCE[0]} != "$0" ]]; then
	return 0
fi

say "SHELLTERM 1.0 READY"
while IFS= read -r line; do
	read -r -a words <<<"$line"
	case ${words[0]:-} in
	sale) sale "${words[1]:-}" "${words[2]:-}" ;;
	reprint)
		if ((${#LAST_RECEIPT[@]})) && print_receipt "${LAST_RECEIPT[@]}" "*** DUPLICATE ***"; then
			say "READY"
		fi
		;;
	last) say "LAST $LAST_RESULT" ;;
	status) say "READY" ;;
	cancel | "") ;; # nothing to cancel
	*) say "ERR UNKNOWN COMMAND" ;;
	esac
done
