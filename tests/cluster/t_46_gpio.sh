#!/bin/bash
# task/pi's GPIO (status LED, fan) where there is no GPIO: the emulated
# nodes have no /dev/gpiochip*, so a node configured with GPIO lines must
# say once, clearly, that GPIO is off, and go on publishing telemetry.
# Driving real lines is not tested here (no gpio-sim on the build hosts).
. "$(dirname "$0")/lib/suite.sh"
# slurm_pi_conf_write
. "$CLUSTER_DIR/lib/config.sh"
plan 6


conf="$ETC/slurm-pi.conf"
cp "$conf" "$STATE/slurm-pi.conf.saved"
slurm_pi_conf_write "$conf" GpioChip=slurm-pi-no-such-chip LedLine=GPIO17 FanLine=18
gpio_off=$(log_count pi2 'task/pi: GPIO off:')
starts=$(log_count pi2 'task/pi: sampling node pi2')
"$CLUSTER" stop pi2
"$CLUSTER" start pi2
check "pi2 restarts with GPIO lines on a chip it does not have" \
	wait_for 10 sh -c "[ \$(grep -c 'task/pi: sampling node pi2' '$(node_dir pi2)/slurmd.log') -gt $starts ]"
like "its log says GPIO is off, naming the chip and the fix" \
	"$(cat "$(node_dir pi2)/slurmd.log")" \
	"task/pi: GPIO off: no GPIO chip labelled 'slurm-pi-no-such-chip' .*gpiodetect.*set GpioChip"
"$CLUSTER" set pi2 temp=84 >/dev/null
check "pi2 without GPIO still publishes: critical at 84 C" wait_for 5 band_is pi2 critical
"$CLUSTER" set pi2 temp=45 >/dev/null
check "and cool again at 45 C" wait_for 5 band_is pi2 cool
is "one GPIO line in the log, not one per poll" \
	"$(($(log_count pi2 'task/pi: GPIO off:') - gpio_off))" 1

cp "$STATE/slurm-pi.conf.saved" "$conf"
"$CLUSTER" stop pi2
"$CLUSTER" start pi2
check "pi2 back on the suite's config is idle" wait_for 30 state_is pi2 'idle|none'
done_testing
