#!/bin/bash
# make test-hil, inside the arm64 VM (scripts/hil/vm.sh runs it as /job/run.sh, with systemd as PID 1 on Debian's
# arm64 kernel). One line per check, "ok   NAME" or "FAIL NAME" (scripts/lib/check.sh), into /job/out.log.
#
# The round resets the board twice on purpose, so it runs in three boots and goes on from /job/phase:
#   boot 1  the package; LEDs on gpio-sim lines (by number and by name, active-low), on the PL061 and on the device
#           tree's gpio-leds LEDs (ledclass, netdev trigger), each pattern read back; a pod's ADD/ping/DEL;
#           systemd's watchdog on a frozen yurtnetd; the hardware watchdog on softdog (armed, keep-alives, clean
#           stop, nowayout, frozen); then softdog without soft_noboot and yurtnetd frozen: the kernel resets the board
#   boot 2  a new boot; yurtnetd lit the device tree's LEDs at boot (before udev loaded their driver or after);
#           the pod's lease survived; the i6300esb: armed, keep-alives, clean stop (magic close: no reset); then
#           yurtnetd frozen: the watchdog hardware resets the board
#   boot 3  a new boot, LEDs lit and the lease kept again; the exit status is the number of failed checks
# scripts/hil/test.sh checks from outside, in QEMU's event stream, that the resets were the guest's and the watchdog's.
set -u
cd /job
. /job/check.sh
phase=$(cat /job/phase 2>/dev/null || echo 1)
passed=$(cat /job/passed 2>/dev/null || echo 0)
failed=$(cat /job/failed 2>/dev/null || echo 0)
save() { echo "$passed" > /job/passed; echo "$failed" > /job/failed; sync; }
trap save EXIT
note() { echo "---- $* (uptime $(cut -d' ' -f1 /proc/uptime) s)"; }
wait_for() { # wait_for SECONDS COMMAND...: true once COMMAND succeeds, false after SECONDS
  local until=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do [ "$(date +%s)" -ge "$until" ] && return 1; sleep 0.2; done
}
systemctl is-system-running --wait >/dev/null
note "boot $phase: $(systemd-analyze | head -1)"
cat /proc/sys/kernel/random/boot_id > "/job/boot-$phase"

CONF=/etc/yurtnet/yurtnetd.json
SIM=/sys/kernel/config/gpio-sim/hil
STATUS_LED=/sys/class/leds/hil:green:status
UPLINK_LED=/sys/class/leds/hil:amber:uplink
daemon_pid() { systemctl show -p MainPID --value yurtnetd.service; }
restart_daemon() { systemctl restart yurtnetd.service && wait_for 60 yurtnetctl status; }
stop_daemon() { systemctl stop yurtnetd.service 2>/dev/null; } # the socket stays: "can still be activated" is no news
freeze() { # SIGSTOP yurtnetd's main process; fails (instead of stopping this script: kill 0) when there is none
  local pid; pid=$(daemon_pid)
  [ -n "$pid" ] && [ "$pid" != 0 ] || { echo "yurtnetd has no main process" >&2; return 1; }
  kill -STOP "$pid" && echo "$pid"
}
thaw() { local pid; pid=$(daemon_pid); [ -n "$pid" ] && [ "$pid" != 0 ] && kill -CONT "$pid"; }
status_says() { yurtnetctl status | grep -qE "$1"; }
leds_ready() { # every configured LED opened, none failed
  local s; s=$(yurtnetctl status) && grep -q '^  led ' <<<"$s" && ! grep -qE '^  led .*(starting|not available)' <<<"$s"
}
# The conflist of the pods of this round: the installed plugin, its own bridge and pool, masquerade on (nftables).
NETCONF='{"cniVersion":"1.0.0","name":"hil","type":"yurtnet","bridge":"hil0","ipMasq":true,"ipam":{"subnets":["10.77.0.0/24"]}}'
cni() { # cni VERB CONTAINER NETNS [NETCONF]
  echo "${4:-$NETCONF}" | CNI_COMMAND=$1 CNI_CONTAINERID=$2 CNI_NETNS=/run/netns/$3 CNI_IFNAME=eth0 \
    CNI_PATH=/opt/cni/bin CNI_ARGS="IgnoreUnknown=1;K8S_POD_NAMESPACE=hil;K8S_POD_NAME=$2" /opt/cni/bin/yurtnet
}
armed() { # armed DEVICE SINCE SYSFS: yurtnetd logged the watchdog armed (asked 5 s, granted 5 s) and the driver says active
  wait_for 30 bash -c "journalctl -u yurtnetd --since @$2 -o cat | grep -q 'hardware watchdog $1 armed: asked 5 s, driver granted 5 s'" \
    && [ "$(cat "$3/state")" = active ] && [ "$(cat "$3/timeout")" = 5 ] \
    || { journalctl -u yurtnetd --since "@$2" -o cat | grep -i watchdog; cat "$3/state" "$3/timeout"; return 1; }
}
export -f wait_for cni leds_ready status_says restart_daemon armed; export NETCONF
watchdog_dev() { # the /dev node of the watchdog whose identity matches $1
  local w; for w in /sys/class/watchdog/watchdog*; do grep -q "$1" "$w/identity" && { echo "/dev/$(basename "$w")"; return; }; done
  return 1
}
# The LEDs a board has from boot: two on the PL061 (one by line name through the gpio backend, one through the
# device tree's gpio-leds and ledclass). Their driver, leds-gpio, is a module udev loads during the boot.
BOARD_LEDS='{ "name": "soc-power", "role": "power", "backend": "gpio", "line": "HIL_LED_A" },
  { "name": "board-power", "role": "power", "backend": "ledclass", "led": "hil:green:status" },
  { "name": "board-uplink", "role": "uplink", "backend": "ledclass", "led": "hil:amber:uplink" }'
# ...and the five roles on gpio-sim lines, which exist only once the round made the chip.
SIM_LEDS='{ "name": "power", "role": "power", "backend": "gpio", "chip": "hil-sim", "line": 0 },
  { "name": "uplink", "role": "uplink", "backend": "gpio", "line": "YN_UPLINK" },
  { "name": "cloud", "role": "cloud", "backend": "gpio", "line": "YN_CLOUD" },
  { "name": "activity", "role": "activity", "backend": "gpio", "line": "YN_ACTIVITY" },
  { "name": "fault", "role": "fault", "backend": "gpio", "line": "YN_FAULT", "activeLow": true }'
CLUSTER='"cluster": { "nodeName": "hil", "server": "http://127.0.0.1:10261", "tokenFile": "/etc/yurtnet/hil-token",
  "hubManagement": "http://127.0.0.1:10267", "healthInterval": "1s" }'
settings() { # settings [JSON MEMBER...]: the round's settings, with the members given
  local members=("\"uplink\": \"uplink0\"" "$@")
  (IFS=,; echo "{ ${members[*]} }") > $CONF
}
watchdog_settings() { # watchdog_settings DEVICE NOWAYOUT
  settings "\"leds\": [ $BOARD_LEDS ]" "\"watchdog\": { \"device\": \"$1\", \"timeout\": \"5s\", \"nowayout\": $2 }"
}
# What the next boot starts with: the board's LEDs, no hardware watchdog (the running yurtnetd keeps its settings).
# leds-gpio is kept from loading at boot, so that the next boot proves an LED whose driver comes after yurtnetd.
boot_settings() { settings "\"leds\": [ $BOARD_LEDS ]"; echo 'blacklist leds-gpio' > /etc/modprobe.d/hil-leds.conf; sync; }

reset_by_freeze() { # reset_by_freeze NEXT_PHASE N WATCHDOG: the next boot's settings, then yurtnetd frozen; the board must reset
  boot_settings
  echo "$1" > /job/phase; save
  note "freezing yurtnetd: $3 must reset the board"
  date +%s.%N > "/job/frozen-$2"; sync # over 9p: test.sh reads the host's time of this write
  freeze >/dev/null
  sleep 60
  check "$3 reset the board within 60 s of the freeze" false
  thaw
}

if [ "$phase" = 1 ]; then
  note "the package"
  check "the arm64 package installs under systemd on the arm64 kernel" dpkg -i /job/yurtnet.deb
  check "yurtnetd answers through its socket" wait_for 60 yurtnetctl status
  ip link add uplink0 type veth peer name uplink0p
  ip link set uplink0 up; ip link set uplink0p up

  note "LEDs"
  # gpio-sim: a chip labelled hil-sim with named lines. The fault LED is wired active-low (from 3.3 V to the line),
  # so its line has the pull-up such wiring has: a line yurtnetd released reads high, dark.
  modprobe gpio-sim
  mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
  mkdir -p $SIM/bank0; echo 8 > $SIM/bank0/num_lines; echo hil-sim > $SIM/bank0/label
  for l in 1:YN_UPLINK 2:YN_CLOUD 3:YN_ACTIVITY 4:YN_FAULT; do mkdir $SIM/bank0/line${l%%:*}; echo "${l#*:}" > $SIM/bank0/line${l%%:*}/name; done
  echo 1 > $SIM/live
  chip=$(cat $SIM/bank0/chip_name)
  L=/sys/devices/platform/$(cat $SIM/dev_name)/$chip
  echo pull-up > $L/sim_gpio4/pull
  check "gpio-sim is live as $chip with named lines" bash -c "gpioinfo $chip | grep -q YN_FAULT"
  echo hil-token > /etc/yurtnet/hil-token
  rm -f /run/hil-metrics
  python3 /job/fakehub.py /run/hil-metrics & hub=$!
  check "the stand-in yurthub listens" wait_for 20 bash -c 'echo > /dev/tcp/127.0.0.1/10267'
  settings "\"leds\": [ $SIM_LEDS, $BOARD_LEDS ]" "$CLUSTER"
  since=$(date +%s)
  check "yurtnetd starts with the LEDs and the cluster link" restart_daemon
  # Debian's kernel has the netdev LED trigger as a module nobody loads: yurtnetd says what to do.
  check "without the kernel's netdev trigger, the uplink LED on ledclass is refused naming the module to load" \
    wait_for 20 bash -c "journalctl -u yurtnetd --since @$since -o cat | grep 'LED board-uplink not used.*modprobe ledtrig-netdev'"
  modprobe ledtrig-netdev
  check "once the module is loaded, yurtnetd opens that LED itself (the retry), and every LED is open" \
    bash -c "wait_for 30 leds_ready || { yurtnetctl status | grep '  led '; false; }"
  check "the cloud is unknown: no evidence yet (the stand-in answers 401 and publishes no metric)" \
    wait_for 20 status_says '^  cloud +unknown: no evidence yet'
  check "LEDs read back: power on (gpio-sim line 0 by number), cloud 4 Hz (unknown), uplink on, fault off (active-low), activity off" \
    python3 /job/leds.py 4 power=$L/sim_gpio0/value:on cloud=$L/sim_gpio2/value:4hz uplink=$L/sim_gpio1/value:on \
      fault=$L/sim_gpio4/value:off:active-low activity=$L/sim_gpio3/value:off
  check "PL061 line HIL_LED_A (by name) is driven high for the power LED" bash -c "grep -q 'HIL_LED_A.*out hi' /sys/kernel/debug/gpio"
  check "ledclass: the device tree's gpio-leds LED shows power on" python3 /job/leds.py 1 board-power=$STATUS_LED/brightness:on
  check "ledclass: the uplink LED is handed to the netdev trigger for uplink0" \
    bash -c "grep -q '\[netdev\]' $UPLINK_LED/trigger && [ \$(cat $UPLINK_LED/device_name) = uplink0 ]"
  echo 'node_yurthub_server_healthy_status{server="cloud"} 0' > /run/hil-metrics
  check "yurthub reports the cloud unhealthy: offline" wait_for 20 status_says '^  cloud +offline: yurthub reports'
  check "cloud LED: slow blink 1 Hz while offline" python3 /job/leds.py 5 cloud=$L/sim_gpio2/value:1hz
  echo 'node_yurthub_server_healthy_status{server="cloud"} 1' > /run/hil-metrics
  check "yurthub reports the cloud healthy: online" wait_for 20 status_says '^  cloud +online: yurthub reports'
  check "cloud LED: on while online" python3 /job/leds.py 2 cloud=$L/sim_gpio2/value:on
  ip link set uplink0p down
  check "uplink carrier lost: yurtnetd sees it" wait_for 20 status_says '^  uplink +uplink0: down'
  check "uplink carrier lost: the gpio uplink LED goes off, the netdev-triggered LED too" \
    python3 /job/leds.py 2 uplink=$L/sim_gpio1/value:off board-uplink=$UPLINK_LED/brightness:off
  ip link set uplink0p up
  check "uplink carrier back: yurtnetd sees it" wait_for 20 status_says '^  uplink +uplink0: up'
  check "uplink carrier back: both uplink LEDs on" \
    python3 /job/leds.py 2 uplink=$L/sim_gpio1/value:on board-uplink=$UPLINK_LED/brightness:on
  ip netns add hilflash
  ( ok=0; for i in $(seq 1 12); do cni ADD flash$i hilflash >/dev/null 2>&1 && ok=$((ok + 1)); cni DEL flash$i hilflash >/dev/null 2>&1 && ok=$((ok + 1)); done
    echo $ok > /tmp/churn-ok ) & churn=$!
  check "activity LED flashes while pods come and go" python3 /job/leds.py 10 activity=$L/sim_gpio3/value:flash
  wait $churn
  check "the 12 ADDs and 12 DELs of the pods that came and went all succeeded" bash -c '[ "$(cat /tmp/churn-ok)" = 24 ]'
  check "fault LED still off: nothing failed" python3 /job/leds.py 1 fault=$L/sim_gpio4/value:off:active-low
  check "an ADD asking for an address outside the pool is refused, saying why" bash -c "! cni ADD refused hilflash '{\"cniVersion\":\"1.0.0\",\"name\":\"hil\",\"type\":\"yurtnet\",\"bridge\":\"hil0\",\"ipam\":{\"subnets\":[\"10.77.0.0/24\"]},\"runtimeConfig\":{\"ips\":[\"10.99.0.5/24\"]}}' > /tmp/refused.json && grep -q 10.99.0.5 /tmp/refused.json"
  ip netns del hilflash
  check "fault LED on (line low, active-low) after the refused ADD" python3 /job/leds.py 2 fault=$L/sim_gpio4/value:on:active-low
  # What yurtnetd writes last before it lets the lines go, from the kernel's own gpio_value trace events: a released
  # gpio-sim line reads its pull again, so reading the lines after the stop would prove nothing.
  cp /sys/kernel/debug/gpio /job/gpio-debug.txt
  echo 1 > /sys/kernel/tracing/events/gpio/gpio_value/enable; echo > /sys/kernel/tracing/trace
  stop_daemon
  echo 0 > /sys/kernel/tracing/events/gpio/gpio_value/enable
  check "a clean stop darkens every gpio LED: the last value yurtnetd set on each line is dark (kernel trace)" \
    python3 /job/lastset.py /job/gpio-debug.txt /sys/kernel/tracing/trace hil-sim \
      power:0:0 uplink:1:0 cloud:2:0 activity:3:0 fault:4:1 soc-power:HIL_LED_A:0
  check "a clean stop darkens the ledclass LEDs and takes the uplink LED back from the netdev trigger" \
    bash -c "python3 /job/leds.py 1 board-power=$STATUS_LED/brightness:off board-uplink=$UPLINK_LED/brightness:off && grep -q '\[none\]' $UPLINK_LED/trigger"
  kill $hub; wait $hub 2>/dev/null
  # Standalone (no cluster section): the cloud LED is off. These settings serve the rest of this boot.
  settings "\"leds\": [ $SIM_LEDS, $BOARD_LEDS ]"
  check "yurtnetd starts standalone with every LED open" bash -c "restart_daemon && wait_for 30 leds_ready"
  check "standalone: cloud LED off, power on" python3 /job/leds.py 2 cloud=$L/sim_gpio2/value:off power=$L/sim_gpio0/value:on

  note "a pod on the arm64 kernel"
  ip netns add hilpod
  check "ADD through the installed plugin" bash -c "cni ADD pod1 hilpod > /job/pod1.json && grep -o '\"address\":\"[^\"]*\"' /job/pod1.json | head -1 > /job/pod1.address && grep -q 10.77.0. /job/pod1.address"
  check "the pod pings its gateway" ip netns exec hilpod ping -c 2 -W 2 10.77.0.1
  check "DEL through the installed plugin" cni DEL pod1 hilpod
  check "ADD again: the pod gets the same address (sticky)" \
    bash -c "[ -s /job/pod1.address ] && cni ADD pod1 hilpod | grep -o '\"address\":\"[^\"]*\"' | head -1 | grep -qxF \"\$(cat /job/pod1.address)\""

  # The arm64 footprint on a real arm64 kernel and libc (memory is the machine's; times under TCG are not): the
  # installed binaries, yurtnetd's resident memory idle, and its peak over a burst of pods, 4 at a time.
  note "arm64 footprint: $(stat -c '%n %s' /opt/cni/bin/yurtnet /usr/sbin/yurtnetd /usr/bin/yurtnetctl 2>/dev/null | awk '{ printf "%s%s %.2f MB", (NR > 1 ? ", " : ""), $1, $2 / 1048576 }')"
  memory() { awk '/^VmRSS|^VmHWM|^RssAnon|^RssFile|^Threads/ { v[$1] = $2 } END { printf "RSS %.1f MB (anonymous %.1f, file %.1f), peak %.1f MB, %d threads", v["VmRSS:"] / 1024, v["RssAnon:"] / 1024, v["RssFile:"] / 1024, v["VmHWM:"] / 1024, v["Threads:"] }' "/proc/$(daemon_pid)/status"; }
  # Settled as make bench waits for it: READY, then the first self-check's STATUS= (systemd clears it at each start).
  restart_daemon && wait_for 30 leds_ready && wait_for 30 bash -c '[ -n "$(systemctl show -p StatusText --value yurtnetd)" ]' || true
  note "arm64 footprint: yurtnetd idle, standalone with 7 LEDs: $(memory)"
  for n in $(seq 1 24); do ip netns add "hilb$n"; done
  seq 1 24 | xargs -P 4 -I{} bash -c 'cni ADD burst{} hilb{} >/dev/null' || true
  seq 1 24 | xargs -P 4 -I{} bash -c 'cni DEL burst{} hilb{} >/dev/null' || true
  for n in $(seq 1 24); do ip netns del "hilb$n"; done
  note "arm64 footprint: yurtnetd after 24 pods added and deleted, 4 at a time: $(memory)"

  note "systemd's watchdog"
  mkdir -p /etc/systemd/system/yurtnetd.service.d
  printf '[Service]\nWatchdogSec=5s\n' > /etc/systemd/system/yurtnetd.service.d/hil-watchdog.conf
  systemctl daemon-reload
  restart_daemon
  since=$(date +%s)
  pid=$(freeze)
  check "yurtnetd frozen (SIGSTOP)" bash -c "[[ '$pid' =~ ^[0-9]+\$ ]] && grep -q '^State:.*T' /proc/$pid/status"
  start=$(date +%s%N)
  ip netns add hilq
  # The call may wait: 5 s to the watchdog's verdict, the kill, RestartSec=2s and a start under emulation.
  # Mostly it waits in the socket's queue. systemd kills with SIGABRT and then SIGCONT; a signal that dumps core does
  # not stop the other threads at once, and under emulation the dying yurtnetd has been seen to accept the call (once
  # so far). The plugin, finding the connection broken, sends it once more (an ADD is idempotent). Either way
  # the successor must answer it.
  check "an ADD sent to the frozen yurtnetd is answered by its successor" \
    bash -c "cni ADD queued hilq '{\"cniVersion\":\"1.0.0\",\"name\":\"hil\",\"type\":\"yurtnet\",\"bridge\":\"hil0\",\"requestTimeoutSeconds\":90,\"ipam\":{\"subnets\":[\"10.77.0.0/24\"]}}' 2> /tmp/queued.log | grep -q 10.77.0."
  if grep -q 'connection to yurtnetd broke' /tmp/queued.log; then how="the dying yurtnetd took it; the plugin sent it once more"; else how="it waited in the socket's queue"; fi
  echo "     (answered after $(( ($(date +%s%N) - start) / 1000000 )) ms: $how)"
  check "systemd killed the frozen yurtnetd (watchdog timeout) and started it again" \
    bash -c "journalctl -u yurtnetd --since @$since -o cat | grep -q 'Watchdog timeout' && [ \$(systemctl show -p NRestarts --value yurtnetd) -ge 1 ] && [ \$(systemctl show -p MainPID --value yurtnetd) != $pid ]"
  cni DEL queued hilq >/dev/null 2>&1; ip netns del hilq
  rm /etc/systemd/system/yurtnetd.service.d/hil-watchdog.conf; systemctl daemon-reload

  note "the hardware watchdog on softdog"
  modprobe softdog soft_margin=60 soft_noboot=1
  dog=$(watchdog_dev 'Software Watchdog'); sys=/sys/class/watchdog/$(basename "$dog")
  watchdog_settings "$dog" false; since=$(date +%s); systemctl restart yurtnetd
  check "yurtnetd arms softdog ($dog, not the first watchdog) with the timeout it asked for" \
    bash -c "[ '$dog' != /dev/watchdog0 ] && armed '$dog' '$since' '$sys'"
  sleep 12
  check "keep-alives while healthy: still armed, never expired in 12 s (timeout 5 s)" \
    bash -c "[ \$(cat $sys/state) = active ] && ! dmesg | grep 'softdog: Triggered'"
  stop_daemon; sleep 8
  check "a clean stop disarms it (magic close): inactive, no expiry in 8 s" \
    bash -c "[ \$(cat $sys/state) = inactive ] && ! dmesg | grep 'softdog: Triggered'"
  dmesg -C
  watchdog_settings "$dog" true; since=$(date +%s); systemctl start yurtnetd
  armed "$dog" "$since" "$sys" >/dev/null
  stop_daemon
  check "nowayout: a clean stop leaves it armed (journal), and it expires" bash -c "
    journalctl -u yurtnetd --since @$since -o cat | grep -q 'hardware watchdog $dog left armed (nowayout)' &&
    wait_for 15 bash -c \"dmesg | grep -q 'softdog: Triggered'\""
  dmesg -C
  watchdog_settings "$dog" false; since=$(date +%s); systemctl start yurtnetd
  armed "$dog" "$since" "$sys" >/dev/null
  freeze >/dev/null
  check "yurtnetd frozen (SIGSTOP): softdog expires" wait_for 15 bash -c "dmesg | grep -q 'softdog: Triggered'"
  thaw; stop_daemon
  # Now for real: softdog resets the machine when it expires.
  dmesg -C
  check "softdog reloaded without soft_noboot (its own word in the kernel log)" \
    bash -c "rmmod softdog && modprobe softdog soft_margin=60 soft_noboot=0 && dmesg | grep 'softdog: initialized. soft_noboot=0'"
  dog=$(watchdog_dev 'Software Watchdog'); watchdog_settings "$dog" false; since=$(date +%s); systemctl start yurtnetd
  check "softdog armed again before the freeze" armed "$dog" "$since" "/sys/class/watchdog/$(basename "$dog")"
  reset_by_freeze 2 1 softdog
fi

# After a reset: a new boot, the LEDs the board has from boot lit by the yurtnetd systemd started at boot (its LED
# driver is a module udev loads meanwhile), and the pod's lease kept.
after_reset() { # after_reset BOOT WHAT
  check "boot $1 is a new boot ($2)" bash -c "[ -s /job/boot-$(($1 - 1)) ] && [ -s /job/boot-$1 ] && [ \"\$(cat /job/boot-$(($1 - 1)))\" != \"\$(cat /job/boot-$1)\" ]"
  # leds-gpio is kept from loading at boot (boot_settings), so the LED's directory appears only after yurtnetd's
  # sandbox was made: the writable /sys/devices/platform/leds and the retry must both work.
  check "boot $1: yurtnetd, started at boot before the LED's driver, finds the LED missing" \
    wait_for 60 bash -c "journalctl -u yurtnetd -b -o cat | grep -q 'LED board-power not used'"
  modprobe leds-gpio
  check "boot $1: once the driver is loaded, yurtnetd lights the device tree's LED (and the PL061 line), no restart" \
    bash -c "wait_for 60 bash -c '[ \$(cat $STATUS_LED/brightness) != 0 ] && grep -q \"HIL_LED_A.*out hi\" /sys/kernel/debug/gpio' &&
      journalctl -u yurtnetd -b -o cat | grep -q 'LED board-power: Power on ledclass' ||
      { yurtnetctl status | grep '  led '; journalctl -u yurtnetd -b -o cat | grep LED; false; }"
  check "boot $1: the pod's lease survived the reset" bash -c "yurtnetctl leases | grep -q hil/pod1"
}

if [ "$(cat /job/phase)" = 2 ]; then
  after_reset 2 "softdog's reset"
  note "the hardware watchdog on the i6300esb"
  dog=$(watchdog_dev 'i6300ESB'); sys=/sys/class/watchdog/$(basename "$dog")
  watchdog_settings "$dog" false; since=$(date +%s); systemctl restart yurtnetd
  check "yurtnetd arms the i6300esb ($dog) with the timeout it asked for" armed "$dog" "$since" "$sys"
  # A reset in these 22 s would show in QEMU's events before the freeze (test.sh checks).
  sleep 12
  check "keep-alives while healthy: still armed after 12 s (timeout 5 s)" bash -c "[ \$(cat $sys/state) = active ]"
  stop_daemon; sleep 10
  check "a clean stop disarms the i6300esb (magic close): inactive, no reset in 10 s" bash -c "[ \$(cat $sys/state) = inactive ]"
  since=$(date +%s); systemctl start yurtnetd
  check "the i6300esb armed again before the freeze" armed "$dog" "$since" "$sys"
  reset_by_freeze 3 2 "the i6300esb"
fi

if [ "$(cat /job/phase)" = 3 ]; then
  after_reset 3 "the i6300esb's reset"
fi
save
echo "guest: $passed passed, $failed failed"
exit "$failed"
