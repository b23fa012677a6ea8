namespace Yurtnet.Daemon.Cluster;

/// <summary>
/// The pods of this node as the pod watch last saw them, in memory (never on the CNI path's critical section: a
/// lookup is a dictionary read). A view is <see cref="Fresh"/> only when its list was taken while the cloud was
/// online and the watch that continues it has since delivered something only the live API server sends (an event or
/// a bookmark): offline, yurthub answers lists from a cache of any age, and nothing may be released on its word.
/// </summary>
internal sealed class PodView
{
    private readonly object _gate = new();
    private Dictionary<string, PodFacts> _pods = new(StringComparer.Ordinal);
    private bool _listedOnline;
    private bool _confirmed;

    /// <summary>Raised after the view changed (outside the lock).</summary>
    public event Action? Changed;

    /// <summary>Whether the view is the live API server's, not a cache's.</summary>
    public bool Fresh
    {
        get
        {
            lock (_gate)
            {
                return _listedOnline && _confirmed;
            }
        }
    }

    public bool TryGet(string key, out PodFacts pod)
    {
        lock (_gate)
        {
            return _pods.TryGetValue(key, out pod!);
        }
    }

    /// <summary>A (re)list: replaces everything; fresh only once the watch continuing it proves the server live.</summary>
    public void Replace(IEnumerable<PodFacts> pods, bool cloudOnline)
    {
        ArgumentNullException.ThrowIfNull(pods);
        var replacement = new Dictionary<string, PodFacts>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            replacement[pod.Key] = pod;
        }

        lock (_gate)
        {
            _pods = replacement;
            _listedOnline = cloudOnline;
            _confirmed = false;
        }

        Changed?.Invoke();
    }

    /// <summary>A watch event (only a live server sends them).</summary>
    public void Apply(bool deleted, PodFacts pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        lock (_gate)
        {
            if (deleted)
            {
                _pods.Remove(pod.Key);
            }
            else
            {
                _pods[pod.Key] = pod;
            }

            _confirmed = true;
        }

        Changed?.Invoke();
    }

    /// <summary>The cloud state changed: nothing seen before counts as fresh until the live server speaks again.</summary>
    public void Invalidate()
    {
        lock (_gate)
        {
            _confirmed = false;
        }
    }

    /// <summary>A bookmark: the server is live and the view is current up to it.</summary>
    public void Confirm()
    {
        bool changed;
        lock (_gate)
        {
            changed = !_confirmed;
            _confirmed = true;
        }

        if (changed)
        {
            Changed?.Invoke();
        }
    }

    /// <summary>The view's pods and whether it is fresh, read together.</summary>
    public (IReadOnlyDictionary<string, PodFacts> Pods, bool Fresh) Snapshot()
    {
        lock (_gate)
        {
            return (new Dictionary<string, PodFacts>(_pods, StringComparer.Ordinal), _listedOnline && _confirmed);
        }
    }
}
