#!/usr/bin/env bash
# oneshot: a one-shot payment kernel as a shell script, the shape of many
# third-party kernels and payment CLIs: one transaction per run, the amount
# on its command line, prompts without a newline, its outcome in its exit
# status and, when approved, on its last line. poshil starts it once per
# sale (profile per_sale, docs/examples/oneshot/profile.yaml); see
# docs/third-party.md.
#
# usage: oneshot.sh AMOUNT      AMOUNT in minor units (1250 = 12.50)
# stdin: the PIN when it prints "ENTER PIN: ", or "cancel".
# Last line when approved: APPROVED AUTH nnnnnn
# Exit status: 0 approved, 2 cancelled, 3 card error, 4 PIN blocked,
#   5 timeout, 6 no supported application, 64 bad usage.
# Settings: ONESHOT_READER (opensc-tool reader index, default 0), and
# shellterm's SHELLTERM_CARD_WAIT, SHELLTERM_PIN_WAIT, SHELLTERM_APDU_TIMEOUT.
#
# It reads the card with the example shellterm's functions (opensc-tool:
# SELECT PPSE, SELECT the first application, offline plaintext PIN).

set -u
amount=${1:-}
if ! [[ $amount =~ ^[0-9]+$ ]]; then
	echo "usage: oneshot.sh AMOUNT (minor units)" >&2
	exit 64
fi
# shellcheck source=../shellterm/shellterm.sh
source "$(dirname "$0")/../shellterm/shellterm.sh" "${ONESHOT_READER:-0}"

echo "AMOUNT $((10#$amount / 100)).$(printf '%02d' $((10#$amount % 100)))"
echo "INSERT CARD"
wait_card
case $? in
1) echo "CANCELLED"; exit 2 ;;
2) echo "NO CARD"; exit 5 ;;
esac
card_tool -s "$SELECT_PPSE"
case $(last_sw) in
9000) ;;
6A82) echo "NO APPLICATION"; exit 6 ;;
*) echo "CARD ERROR"; exit 3 ;;
esac
aid=$(first_aid)
[[ -n $aid ]] || { echo "NO APPLICATION"; exit 6; }
while :; do
	printf 'ENTER PIN: ' # a prompt without a newline, as kernels print them
	if ! read -r -t "$PIN_WAIT" pin; then
		echo
		echo "PIN TIMEOUT"
		exit 5
	fi
	[[ $pin == cancel ]] && { echo "CANCELLED"; exit 2; }
	card_tool -s "00:A4:04:00:$(printf '%02X' $(((${#aid} + 1) / 3))):$aid:00" -s "00:20:00:80:08:$(pin_block "$pin")"
	sw=$(last_sw)
	pin="" OUT="" # OUT held the PIN block
	case $sw in
	9000) break ;;
	63C0 | 6983) echo "PIN BLOCKED"; exit 4 ;;
	63C?) echo "WRONG PIN ($((16#${sw:3:1})) LEFT)" ;;
	*) echo "CARD ERROR"; exit 3 ;;
	esac
done
echo "APPROVED AUTH $(printf '%06d' $(((RANDOM * 32768 + RANDOM) % 1000000)))"
exit 0
