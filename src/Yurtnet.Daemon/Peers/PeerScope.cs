namespace Yurtnet.Daemon.Peers;

/// <summary>
/// Which Nodes are this gateway's peers (pure): <c>pool</c>, the Nodes whose <c>apps.openyurt.io/nodepool</c> label
/// has this node's value; <c>cluster</c>, every Node; or an explicit label selector.
/// </summary>
internal sealed record PeerScope
{
    /// <summary>The label OpenYurt puts on every Node of a NodePool.</summary>
    public const string PoolLabel = "apps.openyurt.io/nodepool";

    private PeerScope(string text, LabelSelector? selector)
    {
        Text = text;
        Selector = selector;
    }

    public static PeerScope Pool { get; } = new("pool", null);

    public static PeerScope Cluster { get; } = new("cluster", null);

    /// <summary>As written in the settings.</summary>
    public string Text { get; }

    /// <summary>The explicit selector, or null for <c>pool</c> and <c>cluster</c>.</summary>
    public LabelSelector? Selector { get; }

    public static bool TryParse(string text, out PeerScope scope, out string problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        problem = "";
        switch (text)
        {
            case "pool":
                scope = Pool;
                return true;
            case "cluster":
                scope = Cluster;
                return true;
        }

        scope = Pool;
        if (text.IndexOfAny(['=', '!', '(']) < 0 && !text.Contains(" in ", StringComparison.Ordinal))
        {
            // A bare word is a valid selector ("has this label") but far more often a misspelt pool or cluster.
            problem = $"\"{text}\" must be pool, cluster or a label selector such as site=shop-12";
            return false;
        }

        if (!LabelSelector.TryParse(text, out var selector, out problem))
        {
            problem = $"\"{text}\" must be pool, cluster or a label selector such as site=shop-12 ({problem})";
            return false;
        }

        scope = new PeerScope(text, selector);
        return true;
    }

    /// <summary>
    /// The label selector to list and watch with: the pool's (null while this node's pool is unknown: nothing to
    /// watch yet), none for the cluster, or the explicit one.
    /// </summary>
    public string? ApiSelector(string? ownPool) => this == Cluster ? "" : Selector?.Text ?? (ownPool is null ? null : $"{PoolLabel}={ownPool}");

    /// <summary>Whether a Node with these labels is a peer (applied again to every answer: offline lists ignore selectors).</summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels, string? ownPool)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return this == Cluster || (Selector is { } selector ? selector.Matches(labels) : ownPool is not null && labels.TryGetValue(PoolLabel, out var pool) && pool == ownPool);
    }
}
