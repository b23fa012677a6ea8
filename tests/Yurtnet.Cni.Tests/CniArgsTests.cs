namespace Yurtnet.Cni.Tests;

public sealed class CniArgsTests
{
    [Fact]
    public void Kubernetes_keys_are_read()
    {
        Assert.True(CniArgs.TryParse("IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=till-0;K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=u-42", out var args, out _));
        Assert.Equal("shop", args.PodNamespace);
        Assert.Equal("till-0", args.PodName);
        Assert.Equal("u-42", args.PodUid);
        Assert.Equal("abc", args.InfraContainerId);
    }

    [Fact]
    public void Unknown_key_is_an_error_naming_it()
    {
        Assert.False(CniArgs.TryParse("K8S_POD_NAME=a;COLOR=blue", out _, out var problem));
        Assert.Contains("COLOR", problem, StringComparison.Ordinal);
        Assert.Contains("IgnoreUnknown=1", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("IgnoreUnknown=1;COLOR=blue")]
    [InlineData("COLOR=blue;IgnoreUnknown=true")]
    public void Unknown_key_is_accepted_with_IgnoreUnknown(string raw)
    {
        Assert.True(CniArgs.TryParse(raw, out _, out _));
    }

    [Fact]
    public void Ip_and_mac_are_known_keys_and_each_given_twice_is_an_error()
    {
        Assert.True(CniArgs.TryParse("K8S_POD_NAME=web;IP=10.0.0.5,fd00::5;MAC=02:00:00:00:00:01", out var args, out _));
        Assert.Equal(("10.0.0.5,fd00::5", "02:00:00:00:00:01"), (args.Ip, args.Mac));
        Assert.False(CniArgs.TryParse("IgnoreUnknown=1;IP=10.0.0.5;IP=10.0.0.6", out _, out var problem));
        Assert.Contains("IP is given 2 times", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Pair_without_equals_sign_is_an_error()
    {
        Assert.False(CniArgs.TryParse("K8S_POD_NAME", out _, out var problem));
        Assert.Contains("KEY=VALUE", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Empty_args_are_fine()
    {
        Assert.True(CniArgs.TryParse(null, out var args, out _));
        Assert.Null(args.PodName);
    }
}
