using System.Globalization;

namespace Yurtnet.Bench;

internal static class Report
{
    /// <summary>A section of timings: its title, the runs, and the columns of <see cref="Row"/>.</summary>
    public static void Header(string title, int runs)
    {
        Console.WriteLine();
        Console.WriteLine($"{title}  ({runs} runs each, interleaved)");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"",-28}{"p50 ms",10}{"p95 ms",10}{"mean ms",10}"));
    }

    /// <summary>A section of single figures.</summary>
    public static void Title(string title)
    {
        Console.WriteLine();
        Console.WriteLine(title);
    }

    public static void Row(string name, Samples s) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-28}{s.Percentile(50),10:0.00}{s.Percentile(95),10:0.00}{s.Mean,10:0.00}"));

    public static void Ratio(string what, Samples ours, Samples reference, double? target)
    {
        var p50 = ours.Percentile(50) / reference.Percentile(50);
        var p95 = ours.Percentile(95) / reference.Percentile(95);
        var verdict = target is { } t ? string.Create(CultureInfo.InvariantCulture, $"  (target p50 <= {t:0.0#}: {(p50 <= t ? "met" : "NOT met")})") : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ratio yurtnet/reference {what}: p50 {p50:0.00}  p95 {p95:0.00}{verdict}"));
    }

    /// <summary>A figure against its goal (at most <paramref name="goal"/>), met or not.</summary>
    public static void Goal(string what, double value, string unit, double goal) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {what}: {value:0.0} {unit}  (goal <= {goal:0.#} {unit}: {(value <= goal ? "met" : "NOT met")})"));

    /// <summary>What <paramref name="with"/> costs over <paramref name="without"/> (p50s), against <paramref name="reference"/>'s p50.</summary>
    public static void Difference(string what, Samples with, Samples without, Samples reference)
    {
        var extra = with.Percentile(50) - without.Percentile(50);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  ratio {what}: p50 {extra / reference.Percentile(50):0.00}  ({extra:0.00} ms over {reference.Percentile(50):0.00} ms)"));
    }
}
