namespace Yurtnet.Bench;

/// <summary>Latencies in milliseconds, with the order statistics the report prints.</summary>
internal sealed class Samples
{
    private readonly List<double> _values = [];

    public void Add(double milliseconds) => _values.Add(milliseconds);

    public double Percentile(double p)
    {
        var sorted = _values.Order().ToList();
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var rank = p / 100 * (sorted.Count - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }

    public double Mean => _values.Count == 0 ? double.NaN : _values.Average();

    public int Count => _values.Count;
}
