using System.Net;

namespace Yurtnet.Cni.Tests;

/// <summary>Requested addresses and MACs, from every source a runtime uses: honoured, or refused with code 7, never ignored.</summary>
public sealed class AttachmentRequestTests
{
    private static readonly NetConf Conf = new() { CniVersion = "1.0.0", Name = "edge" };

    private static CniArgs Args(string raw) => CniArgs.TryParse(raw, out var args, out var problem) ? args : throw new ArgumentException(problem);

    [Fact]
    public void Podmans_ip_and_mac_in_cni_args_are_read_without_ignore_unknown()
    {
        var wanted = AttachmentRequest.From(Conf, Args("K8S_POD_NAME=web;IP=10.98.0.50;MAC=02:42:0A:62:00:32"));

        Assert.Equal([IPAddress.Parse("10.98.0.50")], wanted.Ips);
        Assert.Equal("CNI_ARGS IP", wanted.IpsFrom);
        Assert.Equal("02:42:0a:62:00:32", wanted.Mac);
    }

    [Fact]
    public void The_ips_and_mac_capabilities_give_one_address_per_family_and_the_mac()
    {
        var wanted = AttachmentRequest.From(Conf with { CapabilityIps = ["10.98.0.50/24", "fd00:98::50/64"], CapabilityMac = "02-42-0a-62-00-32" }, new CniArgs());

        Assert.Equal([IPAddress.Parse("10.98.0.50"), IPAddress.Parse("fd00:98::50")], wanted.Ips);
        Assert.Equal("runtimeConfig ips", wanted.IpsFrom);
        Assert.Equal("02:42:0a:62:00:32", wanted.Mac);
    }

    [Fact]
    public void Sources_that_agree_are_one_request_and_sources_that_disagree_are_refused_naming_both()
    {
        var agreed = AttachmentRequest.From(Conf with { RequestedIps = [IPAddress.Parse("10.98.0.50")] }, Args("IP=10.98.0.50"));
        Assert.Equal([IPAddress.Parse("10.98.0.50")], agreed.Ips);
        Assert.Equal("pod annotation yurtnet.openyurt.io/ip and CNI_ARGS IP", agreed.IpsFrom);

        var ips = Assert.Throws<CniException>(() => AttachmentRequest.From(Conf with { CapabilityIps = ["10.98.0.51"] }, Args("IP=10.98.0.50")));
        Assert.Equal(7, ips.Error.Code);
        Assert.Contains("runtimeConfig ips asks for 10.98.0.51, CNI_ARGS IP for 10.98.0.50", ips.Error.Msg, StringComparison.Ordinal);

        var macs = Assert.Throws<CniException>(() => AttachmentRequest.From(Conf with { CapabilityMac = "02:00:00:00:00:01" }, Args("MAC=02:00:00:00:00:02")));
        Assert.Equal(7, macs.Error.Code);
        Assert.Contains("runtimeConfig mac asks for 02:00:00:00:00:01, CNI_ARGS MAC for 02:00:00:00:00:02", macs.Error.Msg, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("IP=10.98.0.50,10.98.0.51", "two addresses of one family")]
    [InlineData("IP=10.98.0.050", "dotted decimal")]
    [InlineData("IP=10.98.50", "dotted decimal")]
    [InlineData("IP=::ffff:10.98.0.50", "mapped into IPv6")]
    [InlineData("IP=fe80::1%eth0", "without a zone")]
    [InlineData("IP=10.98.0.50/24", "dotted decimal")]
    [InlineData("MAC=01:00:5e:00:00:01", "multicast")]
    [InlineData("MAC=00:00:00:00:00:00", "zero")]
    [InlineData("MAC=02:42:0a:62:00", "not a MAC address")]
    [InlineData("MAC=zz:42:0a:62:00:32", "not a MAC address")]
    public void A_request_that_cannot_be_honoured_as_written_is_code_7_saying_why(string args, string why)
    {
        var refused = Assert.Throws<CniException>(() => AttachmentRequest.From(Conf, Args(args)));

        Assert.Equal(7, refused.Error.Code);
        Assert.Contains(why, refused.Error.Msg, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(refused.Error.Details));
    }

    [Fact]
    public void Nothing_asked_is_nothing_requested()
    {
        var wanted = AttachmentRequest.From(Conf, Args("IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=till-0"));

        Assert.Empty(wanted.Ips);
        Assert.Null(wanted.IpsFrom);
        Assert.Null(wanted.Mac);
    }
}
