#!/usr/bin/env python3
"""Says whether the last value yurtnetd set on each LED's line was the dark one, from the kernel's gpio_value trace
events (tracefs), which record every value written to a line, whatever the line reads after it is released.

usage: lastset.py GPIO_DEBUG TRACE CHIP_LABEL NAME:LINE:DARK ...
GPIO_DEBUG is a copy of /sys/kernel/debug/gpio taken while the lines were held (it gives each chip's base);
LINE is an offset on the chip labelled CHIP_LABEL, or a line name found anywhere; DARK is the level of the line when
its LED is dark (0, or 1 for an LED wired active-low). Exits 1 if any line's last value is not DARK or was never set."""
import re
import sys

debug, trace, label = open(sys.argv[1]).read(), open(sys.argv[2]).read(), sys.argv[3]
base = None
for m in re.finditer(r"^gpiochip\d+: GPIOs (\d+)-\d+, parent: [^,]*, ([^,:]+)(?:, can sleep)?:$", debug, re.M):
    if m.group(2) == label:
        base = int(m.group(1))
last = {}
for m in re.finditer(r"gpio_value: (\d+) set (\d+)", trace):
    last[int(m.group(1))] = int(m.group(2))

failed = 0
for spec in sys.argv[4:]:
    name, line, dark = spec.split(":")
    if line.isdigit():
        if base is None:
            sys.exit(f"lastset.py: no chip labelled {label} in {sys.argv[1]}")
        gpio = base + int(line)
    else:
        m = re.search(r"^ gpio-(\d+) \(" + re.escape(line) + r"\s*\|", debug, re.M)
        if m is None:
            sys.exit(f"lastset.py: no held line named {line} in {sys.argv[1]}")
        gpio = int(m.group(1))
    value = last.get(gpio)
    ok = value == int(dark)
    failed += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {name} (gpio {gpio}): last value set {value if value is not None else 'none'}, dark is {dark}")
sys.exit(1 if failed else 0)
