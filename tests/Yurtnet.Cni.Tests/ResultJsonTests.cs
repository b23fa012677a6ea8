using System.Net;
using System.Text.Json;

namespace Yurtnet.Cni.Tests;

public sealed class ResultJsonTests
{
    public static TheoryData<string> AllVersions => new() { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0" };

    private static readonly CniResult Sample = new()
    {
        Interfaces = [new("yurt0", "02:00:00:00:00:01"), new("yn0123", "02:00:00:00:00:02"), new("eth0", "02:00:00:00:00:03", 1400, "/run/netns/x")],
        Ips = [new(IPAddress.Parse("10.22.0.5"), 16, IPAddress.Parse("10.22.0.1"), 2), new(IPAddress.Parse("fd00:22::5"), 64, IPAddress.Parse("fd00:22::1"), 2)],
        Routes = [new(IPNetwork.Parse("0.0.0.0/0"), IPAddress.Parse("10.22.0.1"))],
    };

    [Theory]
    [MemberData(nameof(AllVersions))]
    public void Result_is_printed_in_the_configured_version(string version)
    {
        using var doc = JsonDocument.Parse(ResultJson.Write(Sample, version));
        var root = doc.RootElement;

        Assert.Equal(version, root.GetProperty("cniVersion").GetString());
        Assert.Equal(3, root.GetProperty("interfaces").GetArrayLength());
        var ip = root.GetProperty("ips")[0];
        Assert.Equal("10.22.0.5/16", ip.GetProperty("address").GetString());
        Assert.Equal(2, ip.GetProperty("interface").GetInt32());
        Assert.Equal(string.CompareOrdinal(version, "1.0.0") < 0, ip.TryGetProperty("version", out _));
        Assert.Equal(version == "1.1.0", root.GetProperty("interfaces")[2].TryGetProperty("mtu", out _));
    }

    [Fact]
    public void Pre_1_0_results_mark_the_ip_family()
    {
        using var doc = JsonDocument.Parse(ResultJson.Write(Sample, "0.4.0"));

        Assert.Equal("4", doc.RootElement.GetProperty("ips")[0].GetProperty("version").GetString());
        Assert.Equal("6", doc.RootElement.GetProperty("ips")[1].GetProperty("version").GetString());
    }

    [Theory]
    [MemberData(nameof(AllVersions))]
    public void Printed_result_reads_back_as_prev_result(string version)
    {
        using var doc = JsonDocument.Parse(ResultJson.Write(Sample, version));
        var problems = new List<string>();

        var back = ResultJson.Read(doc.RootElement, problems);

        Assert.Empty(problems);
        Assert.Equal(Sample.Ips.Select(i => i.Cidr), back.Ips.Select(i => i.Cidr));
        Assert.Equal("/run/netns/x", back.Interfaces[2].Sandbox);
    }

    [Fact]
    public void Error_has_the_spec_shape_and_keeps_text_readable()
    {
        using var doc = JsonDocument.Parse(ResultJson.WriteError(new CniError(11, "yurtnetd isn't running", "start it"), "0.3.1"));

        Assert.Equal(11, doc.RootElement.GetProperty("code").GetInt32());
        Assert.Equal("yurtnetd isn't running", doc.RootElement.GetProperty("msg").GetString());
        Assert.Equal("0.3.1", doc.RootElement.GetProperty("cniVersion").GetString());
        Assert.DoesNotContain("\\u0027", System.Text.Encoding.UTF8.GetString(ResultJson.WriteError(new CniError(11, "isn't"), "1.0.0")), StringComparison.Ordinal);
    }

    [Fact]
    public void Version_answer_lists_every_supported_version()
    {
        using var doc = JsonDocument.Parse(ResultJson.WriteVersion("1.0.0"));

        Assert.Equal("1.0.0", doc.RootElement.GetProperty("cniVersion").GetString());
        Assert.Equal(["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"], doc.RootElement.GetProperty("supportedVersions").EnumerateArray().Select(e => e.GetString()));
    }
}
