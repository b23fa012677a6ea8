using System.Text;

namespace Yurtnet.Cni.Tests;

public sealed class NetConfParserTests
{
    private static NetConf Parse(string json, CniCommand command = CniCommand.Add) => NetConfParser.Parse(Encoding.UTF8.GetBytes(json), command);

    private static CniError Rejects(string json, CniCommand command = CniCommand.Add) =>
        Assert.Throws<CniException>(() => Parse(json, command)).Error;

    [Fact]
    public void Config_error_details_name_the_network_and_do_not_assume_one_config_directory()
    {
        var error = Rejects("""{"cniVersion":"1.0.0","name":"podman-net","type":"yurtnet","mtu":10}""");

        Assert.Equal(CniError.InvalidNetworkConfig, error.Code);
        Assert.Contains("conflist of network \"podman-net\"", error.Details, StringComparison.Ordinal);
        Assert.Contains("unless the runtime is set otherwise", error.Details, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_apply_when_keys_are_absent()
    {
        var conf = Parse("""{"cniVersion":"1.0.0","name":"edge","type":"yurtnet","ipam":{"subnets":["10.22.0.0/16"]}}""");

        Assert.Equal("yurt0", conf.Bridge);
        Assert.True(conf.IsGateway);
        Assert.True(conf.IsDefaultGateway);
        Assert.True(conf.IpMasq);
        Assert.False(conf.HairpinMode);
        Assert.Null(conf.Mtu);
        Assert.Equal("/run/yurtnet/cni.sock", conf.Socket);
        Assert.Equal("/var/lib/yurtnet/spool", conf.SpoolDir);
        Assert.Single(conf.Subnets);
    }

    [Fact]
    public void Pod_mtu_is_the_conflists_when_set_else_the_daemons_tunnel_hint_kept_between_the_minimum_and_1500_else_1500()
    {
        var unset = Parse("""{"cniVersion":"1.0.0","name":"edge","type":"yurtnet","ipam":{"subnets":["10.22.0.0/16"]}}""");
        var set = Parse("""{"cniVersion":"1.0.0","name":"edge","type":"yurtnet","mtu":1400,"ipam":{"subnets":["10.22.0.0/16"]}}""");

        Assert.Equal((1500, false), (unset.PodMtu(null, hasIpv6: false, out var r1), r1));
        Assert.Equal((1450, false), (unset.PodMtu(1450, hasIpv6: false, out var r2), r2));
        Assert.Equal((1450, false), (unset.PodMtu(1450, hasIpv6: true, out var r3), r3));
        Assert.Equal((1280, true), (unset.PodMtu(1200, hasIpv6: true, out var r4), r4));
        Assert.Equal((1200, false), (unset.PodMtu(1200, hasIpv6: false, out var r5), r5));
        Assert.Equal((500, false), (unset.PodMtu(500, hasIpv6: false, out var r6), r6));
        Assert.Equal(68, unset.PodMtu(0, hasIpv6: false, out _));
        Assert.Equal(1500, unset.PodMtu(8950, hasIpv6: false, out _));
        Assert.Equal(1400, set.PodMtu(1450, hasIpv6: false, out _));
        Assert.Equal(1400, set.PodMtu(null, hasIpv6: true, out _));
    }

    [Fact]
    public void Every_documented_key_is_read()
    {
        var conf = Parse("""
            {"cniVersion":"1.1.0","name":"edge","bridge":"br-pods","mtu":1400,"hairpinMode":true,"isGateway":true,
             "isDefaultGateway":false,"ipMasq":false,"socket":"/tmp/s.sock","spoolDir":"/tmp/spool","daemonWaitSeconds":2,
             "ipam":{"subnets":["10.22.0.0/24","fd00:22::/64"],"routes":[{"dst":"192.168.50.0/24"},{"dst":"fd00:99::/64","gw":"fd00:22::fe"}]},
             "dns":{"nameservers":["10.22.0.10"]}}
            """);

        Assert.Equal("br-pods", conf.Bridge);
        Assert.Equal(1400, conf.Mtu);
        Assert.True(conf.HairpinMode);
        Assert.False(conf.IsDefaultGateway);
        Assert.False(conf.IpMasq);
        Assert.Equal("/tmp/s.sock", conf.Socket);
        Assert.Equal(TimeSpan.FromSeconds(2), conf.DaemonWait);
        Assert.Equal(2, conf.Subnets.Count);
        Assert.Equal(2, conf.Routes.Count);
        Assert.Contains("10.22.0.10", conf.DnsJson, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_gateway_implies_gateway()
    {
        Assert.True(Parse("""{"cniVersion":"1.0.0","name":"n","isGateway":false}""").IsGateway);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"cniVersion\":1}")]
    public void Undecodable_stdin_is_code_6(string stdin)
    {
        Assert.Equal(6, Rejects(stdin).Code);
    }

    [Theory]
    [InlineData("0.2.0")]
    [InlineData("2.0.0")]
    [InlineData("")]
    public void Unsupported_version_is_code_1_listing_the_supported_ones(string version)
    {
        var error = Rejects($$"""{"cniVersion":"{{version}}","name":"n"}""");

        Assert.Equal(1, error.Code);
        Assert.Contains("0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0", error.Msg, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_version_means_0_1_0_and_is_refused()
    {
        Assert.Equal(1, Rejects("""{"name":"n"}""").Code);
    }

    [Theory]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","ipam":{"subnets":["10.22.0.0/33"]}}""", "ipam.subnets[0]")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","ipam":{"subnets":["10.22.0.5/16"]}}""", "use 10.22.0.0/16")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","ipam":{"subnets":["10.22.0.0/31"]}}""", "too small")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","ipam":{"subnets":["banana"]}}""", "\"banana\" is not a CIDR")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","ipam":{"subnets":"10.22.0.0/16"}}""", "ipam.subnets: expected an array")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","ipam":{"subnets":["10.22.0.0/16","10.22.1.0/24"]}}""", "overlaps")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","mtu":"1500"}""", "mtu: expected a number, got the string \"1500\"")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","mtu":20}""", "mtu: 20 is outside")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","ipMasq":"yes"}""", "ipMasq: expected true or false")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","bridge":"a-very-long-bridge-name"}""", "bridge:")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","socket":"relative/cni.sock"}""", "socket: \"relative/cni.sock\" must be an absolute path")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","socket":"/run/yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy.sock"}""", "socket: /run/yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy.sock is 120 bytes long; a Unix socket's path is at most 107 bytes")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","ipam":{"type":"host-local"}}""", "ipam.type")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","ipam":{"routes":[{"dst":"nope"}]}}""", "ipam.routes[0].dst")]
    [InlineData("""{"cniVersion":"1.0.0","name":"n","ipam":{"routes":[{"dst":"10.9.0.0/16","gw":"fd00::1"}]}}""", "ipam.routes[0].gw")]
    [InlineData("""{"cniVersion":"1.0.0"}""", "name: required")]
    [InlineData("""{"cniVersion":"1.0.0","name":"-bad"}""", "name:")]
    public void Unworkable_value_is_code_7_naming_the_key(string json, string expected)
    {
        var error = Rejects(json);

        Assert.Equal(7, error.Code);
        Assert.Contains(expected, error.Msg, StringComparison.Ordinal);
    }

    [Fact]
    public void All_findings_are_reported_in_one_error()
    {
        var error = Rejects("""{"cniVersion":"1.0.0","name":"n","mtu":"x","ipMasq":3,"ipam":{"subnets":["bad"]}}""");

        Assert.Contains("mtu:", error.Msg, StringComparison.Ordinal);
        Assert.Contains("ipMasq:", error.Msg, StringComparison.Ordinal);
        Assert.Contains("ipam.subnets[0]:", error.Msg, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_fields_pass_through()
    {
        Assert.Equal("n", Parse("""{"cniVersion":"1.0.0","name":"n","capabilities":{"portMappings":true},"runtimeConfig":{"x":1},"somethingNew":[1]}""").Name);
    }

    [Theory]
    [InlineData("cni.dev/valid-attachments")]
    [InlineData("cni.dev/attachments")]
    public void Gc_reads_either_attachments_key(string key)
    {
        var conf = Parse($$"""{"cniVersion":"1.1.0","name":"n","{{key}}":[{"containerID":"c1","ifname":"eth0"}]}""", CniCommand.Gc);

        Assert.Equal("c1", Assert.Single(conf.ValidAttachments!).ContainerId);
    }

    [Fact]
    public void Prev_result_is_read_for_del_and_check()
    {
        var conf = Parse("""
            {"cniVersion":"0.4.0","name":"n","prevResult":{"cniVersion":"0.4.0","interfaces":[{"name":"eth0","mac":"aa:bb:cc:dd:ee:ff","sandbox":"/run/netns/x"}],
             "ips":[{"version":"4","address":"10.22.0.5/16","gateway":"10.22.0.1","interface":0}],"routes":[{"dst":"0.0.0.0/0","gw":"10.22.0.1"}]}}
            """, CniCommand.Check);

        Assert.Equal("10.22.0.5/16", Assert.Single(conf.PrevResult!.Ips).Cidr);
        Assert.Single(conf.PrevResult.Routes);
    }

    [Fact]
    public void Peek_version_reads_only_the_version()
    {
        Assert.Equal("0.4.0", NetConfParser.PeekVersion(Encoding.UTF8.GetBytes("""{"name":{"deep":[1]},"cniVersion":"0.4.0"}""")));
        Assert.Null(NetConfParser.PeekVersion(Encoding.UTF8.GetBytes("nope")));
    }
    private static string WithAnnotation(string value) =>
        """{"cniVersion":"1.0.0","name":"edge","type":"yurtnet","ipam":{"subnets":["10.22.0.0/24"]},"runtimeConfig":{"io.kubernetes.cri.pod-annotations":{"yurtnet.openyurt.io/ip":""" + "\"" + value + "\"" + ""","other":"x"}}}""";

    [Fact]
    public void Requested_addresses_come_from_the_pod_annotation_in_runtime_config()
    {
        Assert.Equal(["10.22.0.40", "fd00:22::40"], Parse(WithAnnotation(" 10.22.0.40 , fd00:22::40")).RequestedIps.Select(ip => ip.ToString()));
    }

    [Fact]
    public void No_annotation_means_no_requested_address_and_del_ignores_it()
    {
        Assert.Empty(Parse("""{"cniVersion":"1.0.0","name":"edge","type":"yurtnet","runtimeConfig":{"io.kubernetes.cri.pod-annotations":{"a":"b"}}}""").RequestedIps);
        Assert.Empty(Parse(WithAnnotation("not-an-ip"), CniCommand.Del).RequestedIps);
    }

    [Fact]
    public void Plugin_tells_the_daemon_whether_the_runtime_passed_pod_annotations_at_all()
    {
        Assert.True(Parse("""{"cniVersion":"1.0.0","name":"edge","type":"yurtnet","runtimeConfig":{"io.kubernetes.cri.pod-annotations":{}}}""").PodAnnotationsPassed);
        Assert.False(Parse("""{"cniVersion":"1.0.0","name":"edge","type":"yurtnet"}""").PodAnnotationsPassed);
        Assert.False(Parse("""{"cniVersion":"1.0.0","name":"edge","type":"yurtnet","runtimeConfig":{"portMappings":[]}}""").PodAnnotationsPassed);
    }

    [Theory]
    [InlineData("10.22.0.400", "\"10.22.0.400\" is not an IPv4 address in dotted decimal")]
    [InlineData("10.22.0.40/24", "\"10.22.0.40/24\" is not an IPv4 address in dotted decimal")]
    [InlineData("10.22.0.040", "\"10.22.0.040\" is not an IPv4 address in dotted decimal (four numbers 0-255, no leading zeros)")]
    [InlineData("fe80::40%eth0", "\"fe80::40%eth0\" is not an IPv6 address without a zone")]
    [InlineData("::ffff:10.22.0.40", "is an IPv4 address mapped into IPv6; write 10.22.0.40")]
    [InlineData("10.22.0.40,10.22.0.41", "at most one IPv4 and one IPv6 address")]
    public void Bad_annotation_is_code_7_naming_the_annotation_and_its_value(string value, string problem)
    {
        var error = Assert.Throws<CniException>(() => Parse(WithAnnotation(value))).Error;

        Assert.Equal(7, error.Code);
        Assert.StartsWith($"pod annotation yurtnet.openyurt.io/ip: \"{value}\": ", error.Msg, StringComparison.Ordinal);
        Assert.Contains(problem, error.Msg, StringComparison.Ordinal);
    }

    [Fact]
    public void Del_with_a_key_gone_bad_since_the_add_releases_with_defaults_and_names_the_problem()
    {
        var conf = Parse("""{"cniVersion":"1.0.0","name":"edge","type":"yurtnet","mtu":"big","ipam":{"subnets":["10.22.0.0/33"]},"spoolDir":"/tmp/spool"}""", CniCommand.Del);

        Assert.Equal(("edge", "/tmp/spool", 1500), (conf.Name, conf.SpoolDir, conf.PodMtu(null, hasIpv6: false, out _)));
        Assert.Contains(conf.IgnoredProblems, p => p.StartsWith("mtu:", StringComparison.Ordinal));
        Assert.Contains(conf.IgnoredProblems, p => p.StartsWith("ipam.subnets[0]:", StringComparison.Ordinal));
        Assert.Equal(7, Rejects("""{"cniVersion":"1.0.0","name":"edge","type":"yurtnet","mtu":"big"}""").Code);
    }

    [Theory]
    [InlineData("\"name\":\"bad name\"", "name:")]
    [InlineData("\"name\":\"edge\",\"socket\":\"relative.sock\"", "socket:")]
    [InlineData("\"name\":\"edge\",\"spoolDir\":7", "spoolDir:")]
    public void Del_whose_conflist_cannot_say_where_to_release_is_code_7(string keys, string named)
    {
        var error = Rejects($$"""{"cniVersion":"1.0.0","type":"yurtnet",{{keys}},"mtu":"big"}""", CniCommand.Del);

        Assert.Equal(7, error.Code);
        Assert.Contains(named, error.Msg, StringComparison.Ordinal);
    }

    [Fact]
    public void The_ips_and_mac_capabilities_are_read_for_add_and_a_wrong_type_is_code_7()
    {
        var conf = Parse("""{"cniVersion":"1.0.0","name":"n","runtimeConfig":{"ips":["10.98.0.50/24"],"mac":"02:42:0a:62:00:32"}}""");
        Assert.Equal(["10.98.0.50/24"], conf.CapabilityIps);
        Assert.Equal("02:42:0a:62:00:32", conf.CapabilityMac);

        Assert.Equal(7, Rejects("""{"cniVersion":"1.0.0","name":"n","runtimeConfig":{"ips":"10.98.0.50"}}""").Code);
        Assert.Equal(7, Rejects("""{"cniVersion":"1.0.0","name":"n","runtimeConfig":{"mac":42}}""").Code);
        Assert.Null(Parse("""{"cniVersion":"1.0.0","name":"n","runtimeConfig":{"ips":"junk"}}""", CniCommand.Del).CapabilityIps);
    }

    [Fact]
    public void Local_pod_namespace_defaults_to_local_and_must_be_a_short_name_without_a_slash()
    {
        Assert.Equal("local", Parse("""{"cniVersion":"1.0.0","name":"n"}""").LocalPodNamespace);
        Assert.Equal("podman", Parse("""{"cniVersion":"1.0.0","name":"n","localPodNamespace":"podman"}""").LocalPodNamespace);
        Assert.Contains("localPodNamespace", Rejects("""{"cniVersion":"1.0.0","name":"n","localPodNamespace":"a/b"}""").Msg, StringComparison.Ordinal);
        Assert.Contains("localPodNamespace", Rejects("""{"cniVersion":"1.0.0","name":"n","localPodNamespace":""}""").Msg, StringComparison.Ordinal);
    }

    [Fact]
    public void Del_with_a_socket_path_too_long_for_a_unix_socket_is_parsed_so_that_it_can_spool_its_release()
    {
        var conf = NetConfParser.Parse("""{"cniVersion":"1.0.0","name":"n","socket":"/run/yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy.sock"}"""u8, CniCommand.Del);

        Assert.Equal("/run/yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy.sock", conf.Socket);
    }

    [Theory]
    [InlineData("""{"cniVersion":"1.1.0","name":"n","socket":"/run/other/cni.sock"}""", "/run/other/cni.sock")]
    [InlineData("""{"cniVersion":"1.1.0","ipam":{"socket":"/nested/is/not/it"},"name":"n"}""", NetConf.DefaultSocket)]
    [InlineData("""{"cniVersion":"1.1.0","name":"n"}""", NetConf.DefaultSocket)]
    [InlineData("""{"socket":42}""", null)]
    [InlineData("""{"name":"n",""", null)]
    [InlineData("""[]""", null)]
    [InlineData("", null)]
    public void Peeked_socket_is_the_top_level_one_or_the_default_and_nothing_for_input_that_is_not_an_object(string stdin, string? expected) =>
        Assert.Equal(expected, NetConfParser.PeekSocket(System.Text.Encoding.UTF8.GetBytes(stdin)));
}
