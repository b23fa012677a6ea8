#!/usr/bin/env python3
"""Edits the device tree source QEMU's `virt` machine dumps (scripts/hil/bed.sh) into a board like a gateway's:
names for the eight lines of the PL061 GPIO controller (as a board's device tree gives them with gpio-line-names)
and two `gpio-leds` LEDs, `hil:green:status` on its line 0 and `hil:amber:uplink` on line 4. Line 3 stays QEMU's
power-off key."""
import re
import sys

path = sys.argv[1]
dts = open(path).read()

node = re.search(r"pl061@9030000 \{(.*?)\n\t\};", dts, re.S)
if node is None:
    sys.exit("dtb.py: no pl061@9030000 node in " + path)
phandle = re.search(r"phandle = <(0x[0-9a-f]+)>;", node.group(1))
if phandle is None:
    sys.exit("dtb.py: the pl061 node has no phandle")

names = '"hil-led-status", "HIL_LED_A", "HIL_LED_B", "poweroff-key", "hil-led-uplink", "HIL_LINE_5", "HIL_LINE_6", "HIL_LINE_7"'
start = node.start(1)
dts = dts[:start] + "\n\t\tgpio-line-names = " + names + ";" + dts[start:]

leds = (
    "\n\tleds {\n\t\tcompatible = \"gpio-leds\";\n\t\tled-status {\n"
    "\t\t\tlabel = \"hil:green:status\";\n\t\t\tgpios = <%s 0x00 0x00>;\n\t\t\tdefault-state = \"off\";\n\t\t};\n"
    "\t\tled-uplink {\n"
    "\t\t\tlabel = \"hil:amber:uplink\";\n\t\t\tgpios = <%s 0x04 0x00>;\n\t\t\tdefault-state = \"off\";\n\t\t};\n\t};\n"
    % (phandle.group(1), phandle.group(1))
)
end = dts.rindex("};")
dts = dts[:end] + leds + dts[end:]
open(path, "w").write(dts)
