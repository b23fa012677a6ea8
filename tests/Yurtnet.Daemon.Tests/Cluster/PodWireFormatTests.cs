using System.Text;
using System.Text.Json;
using Yurtnet.Daemon.Cluster;

namespace Yurtnet.Daemon.Tests.Cluster;

public sealed class PodWireFormatTests
{
    [Fact]
    public void Status_patch_is_a_merge_patch_of_the_annotation_with_the_uid_as_precondition()
    {
        var patch = Encoding.UTF8.GetString(StatusOutbox.Patch("uid-7", """[{"name":"edge"}]"""));

        Assert.Equal("""{"metadata":{"uid":"uid-7","annotations":{"k8s.v1.cni.cncf.io/network-status":"[{\u0022name\u0022:\u0022edge\u0022}]"}}}""", patch);
        using var doc = JsonDocument.Parse(patch);
        Assert.Equal("""[{"name":"edge"}]""", doc.RootElement.GetProperty("metadata").GetProperty("annotations").GetProperty("k8s.v1.cni.cncf.io/network-status").GetString());
    }

    [Theory]
    [InlineData("""{"metadata":{"annotations":{"k8s.v1.cni.cncf.io/network-status":"x"}}}""", "x")]
    [InlineData("""{"metadata":{"annotations":{}}}""", null)]
    [InlineData("""{"metadata":{}}""", null)]
    [InlineData("""{"kind":"Status","code":404}""", null)]
    [InlineData("not json", null)]
    public void Answer_shows_the_annotation_only_when_it_is_really_there(string body, string? expected)
    {
        Assert.Equal(expected, StatusOutbox.AnnotationIn(body));
    }

    [Fact]
    public void Pod_facts_carry_key_uid_and_the_two_annotations_yurtnet_uses()
    {
        using var doc = JsonDocument.Parse("""{"metadata":{"namespace":"shop","name":"till","uid":"u1","annotations":{"yurtnet.openyurt.io/ip":"10.1.0.9","k8s.v1.cni.cncf.io/network-status":"[]","other":"x"}},"spec":{"nodeName":"gw"}}""");

        Assert.Equal(new PodFacts("shop/till", "u1", "[]", "10.1.0.9"), PodWatch.Facts(doc.RootElement));
    }

    [Fact]
    public void Pod_without_namespace_name_or_uid_is_ignored()
    {
        using var doc = JsonDocument.Parse("""{"metadata":{"name":"till","uid":"u1"}}""");

        Assert.Null(PodWatch.Facts(doc.RootElement));
    }
}
