#!/bin/bash
# The emulated nodes look like separate Pis: hostname, eth0, own /tmp, a
# shared directory, and fake sensors that change while the node runs.
. "$(dirname "$0")/lib/suite.sh"
plan 12

is "pi2's hostname is pi2" "$("$CLUSTER" exec pi2 hostname)" pi2
like "pi2 has eth0 on the cluster network" "$("$CLUSTER" exec pi2 ip -br addr show eth0)" "$(node_addr 2)/24"
# Unpredictable names: /tmp and the shared directory are world-writable.
probe=$("$CLUSTER" exec pi1 mktemp /tmp/slurm-pi-probe.XXXXXX)
unlike "pi1's /tmp is not pi2's" "$("$CLUSTER" exec pi2 ls /tmp)" "${probe#/tmp/}"
"$CLUSTER" exec pi1 rm -f "$probe"
probe=$(mktemp "$SHARED_DIR/.probe.XXXXXX"); echo shared >"$probe"
is "the shared directory is at $SHARED_DIR on pi3" "$("$CLUSTER" exec pi3 cat "$probe")" shared
rm -f "$probe"

like "pi2's /proc/cpuinfo carries a Pi Revision" "$("$CLUSTER" exec pi2 cat /proc/cpuinfo)" '^Revision[[:space:]]*: [0-9a-f]+'
is "pi2 reads its device-tree model at the real path" \
	"$("$CLUSTER" exec pi2 sh -c "tr -d '\0' </sys/firmware/devicetree/base/model")" \
	"$(tr -d '\0' <"$(node_dir pi2)/root/sys/firmware/devicetree/base/model")"

"$CLUSTER" set pi2 temp=83.5 >/dev/null
zone=$("$CLUSTER" exec pi2 sh -c 'for z in /sys/class/thermal/thermal_zone*; do [ "$(cat $z/type)" = cpu-thermal ] && cat $z/temp; done')
is "cluster set pi2 temp=83.5: pi2 reads 83500 from its cpu-thermal zone" "$zone" 83500

"$CLUSTER" set pi3 undervoltage=1 >/dev/null
is "undervoltage=1: get_throttled shows under-voltage now and since boot" \
	"$("$CLUSTER" exec pi3 cat /sys/devices/platform/soc/soc:firmware/get_throttled)" 10001
alarm=$("$CLUSTER" exec pi3 sh -c 'for h in /sys/class/hwmon/hwmon*; do [ "$(cat $h/name)" = rpi_volt ] && cat $h/in0_lcrit_alarm; done')
is "undervoltage=1: rpi_volt in0_lcrit_alarm is 1" "$alarm" 1
"$CLUSTER" set pi3 undervoltage=0 >/dev/null
is "undervoltage=0 clears now, keeps the sticky bit" \
	"$("$CLUSTER" exec pi3 cat /sys/devices/platform/soc/soc:firmware/get_throttled)" 10000
"$CLUSTER" set pi4 throttled=0x50005 >/dev/null
is "throttled=0x50005 is what pi4 reads" \
	"$("$CLUSTER" exec pi4 cat /sys/devices/platform/soc/soc:firmware/get_throttled)" 50005
out=$("$CLUSTER" set pi4 temp=hot 2>&1); rc=$?
like "a bad sensor value is refused with a message" "$rc:$out" "^1:.*temp: 'hot' is not a temperature"
"$CLUSTER" set pi2 temp=45 >/dev/null; "$CLUSTER" set pi4 throttled=0 >/dev/null
done_testing
