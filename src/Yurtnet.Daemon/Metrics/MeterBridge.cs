using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Prometheus;

namespace Yurtnet.Daemon.Metrics;

/// <summary>
/// Carries the daemon's System.Diagnostics.Metrics instruments into a prometheus-net registry, one for one: a
/// <see cref="Counter{T}"/> becomes a Prometheus counter and a <see cref="Histogram{T}"/> a histogram with the
/// buckets its advice names, under the instrument's own name (the components name them as Prometheus wants: the
/// <c>yurtnet_</c> prefix, the unit, <c>_total</c>), with its description as HELP and its tags as labels. Only the
/// instruments of this daemon's meters (its <see cref="IMeterFactory"/>, meters named <c>Yurtnet.*</c>) are taken.
/// </summary>
/// <remarks>
/// prometheus-net's own MeterAdapter would do the plumbing, but it exports a counter as a gauge without <c>_total</c>,
/// puts the meter's name before the instrument's, and uses buckets of its own: not what an operator's alert expects.
/// A series appears with its first measurement; the label names are those of that measurement (a component gives
/// every measurement of an instrument the same tags).
/// </remarks>
internal sealed class MeterBridge : IDisposable
{
    private readonly MetricFactory _factory;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, Series> _series = new();
    private long _dropped;

    public MeterBridge(IMeterFactory meters, MetricFactory factory)
    {
        _factory = factory;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, meters) && instrument.Meter.Name.StartsWith("Yurtnet.", StringComparison.Ordinal)
                && instrument is Counter<long> or Counter<double> or Histogram<double>)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Carry(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Carry(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>Instruments carried so far (those that measured something).</summary>
    public int Carried => _series.Count;

    /// <summary>Measurements dropped: tags other than the series was made with, or a failure in the registry.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>
    /// Runs inline on the measuring thread: an ADD's answer, a commit just made durable. Nothing of the export may fail
    /// those, so every failure here is counted and dropped.
    /// </summary>
    private void Carry(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        try
        {
            if (!Record(instrument, value, tags))
            {
                Interlocked.Increment(ref _dropped);
            }
        }
        catch (Exception)
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    private bool Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (!_series.TryGetValue(instrument, out var series))
        {
            var names = new string[tags.Length];
            for (var i = 0; i < tags.Length; i++)
            {
                names[i] = tags[i].Key;
            }

            series = _series.GetOrAdd(instrument, i => Create(i, names));
        }

        var values = new string[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            if (i >= series.LabelNames.Length || tags[i].Key != series.LabelNames[i])
            {
                return false; // not the tags the series was made with: a component's mistake, never a crash
            }

            values[i] = tags[i].Value?.ToString() ?? "";
        }

        if (values.Length != series.LabelNames.Length)
        {
            return false;
        }

        switch (series.Collector)
        {
            case Prometheus.Counter counter when values.Length == 0:
                counter.Inc(value);
                break;
            case Prometheus.Counter counter:
                counter.WithLabels(values).Inc(value);
                break;
            case Prometheus.Histogram histogram when values.Length == 0:
                histogram.Observe(value);
                break;
            case Prometheus.Histogram histogram:
                histogram.WithLabels(values).Observe(value);
                break;
        }

        return true;
    }

    private Series Create(Instrument instrument, string[] labelNames)
    {
        var help = instrument.Description ?? instrument.Name;
        Collector collector = instrument switch
        {
            Histogram<double> histogram => _factory.CreateHistogram(instrument.Name, help, labelNames, new HistogramConfiguration
            {
                Buckets = histogram.Advice?.HistogramBucketBoundaries?.ToArray() ?? Prometheus.Histogram.ExponentialBuckets(0.001, 2, 14),
            }),
            _ => _factory.CreateCounter(instrument.Name, help, labelNames),
        };
        return new Series(collector, labelNames);
    }

    public void Dispose() => _listener.Dispose();

    private sealed record Series(Collector Collector, string[] LabelNames);
}
