#!/usr/bin/env python3
"""Reads LEDs back from the hardware while yurtnetd drives them, and says whether each shows its pattern.

usage: leds.py SECONDS NAME=PATH:PATTERN[:active-low] ...

PATH is a file whose first character is the line's or LED's level: a gpio-sim line's `value`
(/sys/devices/platform/gpio-sim.N/gpiochipM/sim_gpioK/value) or an LED class device's `brightness`. All paths are
sampled together, as fast as the machine allows (every few milliseconds), for SECONDS, once every steady LED (on,
off) showed its level (at most 5 s later). `active-low` means the LED is
lit when the line is low. PATTERN is one of the legend's patterns (README, LEDs):
  on, off   lit (dark) in every sample
  1hz       slow blink: about one period a second, lit about half of it (500 ms on, 500 ms off)
  4hz       fast blink: about four periods a second (125 ms on, 125 ms off)
  flash     activity: short flashes (80 ms, so one or two of yurtnetd's 50 ms ticks), at most five a second, and
            at least one in the window
Prints one line per LED with what was measured; exits 1 if any LED does not show its pattern. Uses only what
python3-minimal has (the guest's Python)."""
import sys
import time


def read(path):
    with open(path, "rb") as f:
        return f.read(1) not in (b"0", b"")


def main():
    seconds = float(sys.argv[1])
    leds = []
    for spec in sys.argv[2:]:
        name, rest = spec.split("=", 1)
        parts = rest.split(":")  # from the right: an LED class name has colons (hil:green:status)
        low = parts[-1] == "active-low"
        if low:
            parts.pop()
        pattern = parts.pop()
        leds.append((name, ":".join(parts), pattern, low))

    # A steady LED (on, off) may still be on its way after the change that set it (yurtnetd's tick is 50 ms): wait
    # up to 5 s for every steady LED to show its level once, then measure.
    settle_until = time.monotonic() + 5
    while time.monotonic() < settle_until and not all(
            (read(path) != low) == (pattern == "on") for _, path, pattern, low in leds if pattern in ("on", "off")):
        time.sleep(0.01)

    samples = []
    end = time.monotonic() + seconds
    while True:
        now = time.monotonic()
        if now >= end:
            break
        samples.append((now, [read(path) != low for _, path, _, low in leds]))
        time.sleep(0.002)

    failed = 0
    for i, (name, path, pattern, low) in enumerate(leds):
        levels = [(t, s[i]) for t, s in samples]
        lit = sum(1 for _, v in levels if v) / len(levels)
        runs, start = [], None  # lit runs that began and ended inside the window, in ms
        rises = 0
        for k in range(1, len(levels)):
            (t0, v0), (t1, v1) = levels[k - 1], levels[k]
            if v1 and not v0:
                rises += 1
                start = t1
            elif v0 and not v1 and start is not None:
                runs.append((t1 - start) * 1000)
                start = None
        rate = rises / seconds
        median = sorted(runs)[len(runs) // 2] if runs else 0
        ok = {
            "on": lit == 1.0,
            "off": lit == 0.0,
            "1hz": 0.35 <= lit <= 0.65 and 0.6 <= rate <= 1.4 and 350 <= median <= 650,
            "4hz": 0.3 <= lit <= 0.7 and 2.8 <= rate <= 5.2 and 75 <= median <= 180,
            "flash": rises >= 1 and rate <= 5.5 and runs != [] and max(runs) <= 200 and lit < 0.5,
        }.get(pattern)
        if ok is None:
            sys.exit(f"leds.py: unknown pattern {pattern}")
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name} ({path}{', active low' if low else ''}): expected {pattern}; "
              f"lit {lit:.0%} of {len(levels)} samples in {seconds:g} s, {rises} rising edges ({rate:.1f}/s), "
              f"lit runs median {median:.0f} ms, max {max(runs) if runs else 0:.0f} ms")
    sys.exit(1 if failed else 0)


main()
