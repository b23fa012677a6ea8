using Yurtnet.Daemon.Peers;

namespace Yurtnet.Daemon.Tests.Peers;

public sealed class PeerScopeTests
{
    private static Dictionary<string, string> Labels(params string[] pairs) =>
        pairs.Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);

    [Fact]
    public void Pool_scope_selects_the_nodes_with_this_nodes_pool_label_and_waits_while_it_is_unknown()
    {
        var scope = PeerScope.Pool;

        Assert.Equal("apps.openyurt.io/nodepool=shop-12", scope.ApiSelector("shop-12"));
        Assert.Null(scope.ApiSelector(null));
        Assert.True(scope.Matches(Labels("apps.openyurt.io/nodepool=shop-12"), "shop-12"));
        Assert.False(scope.Matches(Labels("apps.openyurt.io/nodepool=shop-13"), "shop-12"));
        Assert.False(scope.Matches(Labels(), "shop-12"));
        Assert.False(scope.Matches(Labels("apps.openyurt.io/nodepool=shop-12"), null));
    }

    [Fact]
    public void Cluster_scope_selects_every_node()
    {
        Assert.True(PeerScope.TryParse("cluster", out var scope, out _));
        Assert.Equal("", scope.ApiSelector(null));
        Assert.True(scope.Matches(Labels(), null));
    }

    [Theory]
    [InlineData("site=shop-12", "site=shop-12", true)]
    [InlineData("site==shop-12", "site=shop-12", true)]
    [InlineData("site!=shop-12", "site=shop-12", false)]
    [InlineData("site!=shop-12", "zone=a", true)]
    [InlineData("site in (shop-12, shop-13)", "site=shop-13", true)]
    [InlineData("site notin (shop-12,shop-13)", "site=shop-14", true)]
    [InlineData("site notin (shop-12,shop-13)", "site=shop-12", false)]
    [InlineData("site,zone=a", "site=x,zone=a", true)]
    [InlineData("site,zone=a", "zone=a", false)]
    [InlineData("!gateway.example.com/retired", "site=x", true)]
    [InlineData("!gateway.example.com/retired", "gateway.example.com/retired=yes", false)]
    public void Label_selector_is_applied_as_kubernetes_applies_it(string selector, string labels, bool selected)
    {
        Assert.True(PeerScope.TryParse(selector, out var scope, out var problem), problem);

        Assert.Equal(selected, scope.Matches(Labels(labels.Split(',')), null));
        Assert.Equal(selector, scope.ApiSelector(null));
    }

    [Theory]
    [InlineData("site in shop-12", "parentheses")]
    [InlineData("site in ()", "at least one value")]
    [InlineData("site notin ( )", "at least one value")]
    [InlineData("site=shop 12", "not a label value")]
    [InlineData("-site=x", "not a label key")]
    [InlineData("site=x,,zone=y", "empty requirement")]
    [InlineData("bad/key/=x", "not a label key")]
    public void Malformed_selector_is_refused_with_what_is_wrong(string selector, string expected)
    {
        Assert.False(PeerScope.TryParse(selector, out _, out var problem));
        Assert.Contains(expected, problem, StringComparison.Ordinal);
        Assert.Contains("must be pool, cluster or a label selector", problem, StringComparison.Ordinal);
    }
}
