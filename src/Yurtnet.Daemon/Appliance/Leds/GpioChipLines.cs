namespace Yurtnet.Daemon.Appliance.Leds;

/// <summary>One GPIO chip as the kernel describes it: <c>gpiochipN</c>, its label, and the names of its lines.</summary>
/// <param name="Number">The N of <c>/dev/gpiochipN</c>.</param>
/// <param name="Name">The chip's name, <c>gpiochipN</c>.</param>
/// <param name="Label">The driver's label, which stays the same across kernels.</param>
/// <param name="LineNames">Indexed by line offset; empty for an unnamed line.</param>
internal sealed record GpioChipLines(int Number, string Name, string Label, IReadOnlyList<string> LineNames);
