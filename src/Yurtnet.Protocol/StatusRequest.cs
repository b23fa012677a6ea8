namespace Yurtnet.Protocol;

/// <summary>STATUS (and <c>yurtnetctl status</c>): can the daemon serve ADD?</summary>
public sealed record StatusRequest : Request
{
    /// <summary>The pools an ADD on this network would use; empty when asked by the operator.</summary>
    public IReadOnlyList<string> Subnets { get => _subnets; init => _subnets = value ?? []; }

    /// <inheritdoc/>
    public override string? NullMember() => FirstNull("subnets", Subnets);

    // An absent member reads as empty: the source-generated reader sets every init-only member, null when absent.
    private readonly IReadOnlyList<string> _subnets = [];

    /// <summary>The network the plugin asks for (null from the operator): without subnets it needs the node's podCIDRs.</summary>
    public string? Network { get; init; }
}
