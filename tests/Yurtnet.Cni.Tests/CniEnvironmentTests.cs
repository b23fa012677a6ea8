namespace Yurtnet.Cni.Tests;

public sealed class CniEnvironmentTests
{
    private static readonly Dictionary<string, string> ValidAdd = new()
    {
        ["CNI_COMMAND"] = "ADD",
        ["CNI_CONTAINERID"] = "0123abc",
        ["CNI_NETNS"] = "/run/netns/x",
        ["CNI_IFNAME"] = "eth0",
        ["CNI_PATH"] = "/opt/cni/bin",
    };

    private static Func<string, string?> Env(Dictionary<string, string> values, params (string Key, string? Value)[] overrides)
    {
        var copy = new Dictionary<string, string?>(values.Select(kv => new KeyValuePair<string, string?>(kv.Key, kv.Value)));
        foreach (var (key, value) in overrides)
        {
            copy[key] = value;
        }

        return k => copy.TryGetValue(k, out var v) ? v : null;
    }

    private static CniError Fails(Func<string, string?> env)
    {
        Assert.False(CniEnvironment.TryRead(env, out _, out var error));
        return error;
    }

    [Fact]
    public void Valid_add_environment_is_accepted()
    {
        Assert.True(CniEnvironment.TryRead(Env(ValidAdd), out var env, out _));
        Assert.Equal(CniCommand.Add, env.Command);
        Assert.Equal("eth0", env.IfName);
    }

    [Fact]
    public void Missing_command_is_code_4_naming_it()
    {
        var error = Fails(Env(ValidAdd, ("CNI_COMMAND", null)));
        Assert.Equal(4, error.Code);
        Assert.Contains("CNI_COMMAND", error.Msg, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_command_is_code_4_naming_it()
    {
        var error = Fails(Env(ValidAdd, ("CNI_COMMAND", "ATTACH")));
        Assert.Equal(4, error.Code);
        Assert.Contains("CNI_COMMAND \"ATTACH\"", error.Msg, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-starts-with-dash")]
    [InlineData("has space")]
    [InlineData("semi;colon")]
    [InlineData("slash/inside")]
    public void Container_id_outside_the_spec_pattern_is_code_4(string id)
    {
        var error = Fails(Env(ValidAdd, ("CNI_CONTAINERID", id)));
        Assert.Equal(4, error.Code);
        Assert.Contains("CNI_CONTAINERID", error.Msg, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("eth0123456789012")]
    [InlineData("eth/0")]
    [InlineData("eth:0")]
    [InlineData("eth 0")]
    [InlineData("eth\t0")]
    [InlineData(".")]
    public void Bad_interface_name_is_code_4_naming_CNI_IFNAME(string ifName)
    {
        var error = Fails(Env(ValidAdd, ("CNI_IFNAME", ifName)));
        Assert.Equal(4, error.Code);
        Assert.Contains("CNI_IFNAME", error.Msg, StringComparison.Ordinal);
    }

    [Fact]
    public void Fifteen_byte_interface_name_is_accepted()
    {
        Assert.True(CniEnvironment.TryRead(Env(ValidAdd, ("CNI_IFNAME", "eth012345678901")), out _, out _));
    }

    [Theory]
    [InlineData("ADD")]
    [InlineData("CHECK")]
    public void Netns_is_required_for_add_and_check(string command)
    {
        var error = Fails(Env(ValidAdd, ("CNI_COMMAND", command), ("CNI_NETNS", null)));
        Assert.Equal(4, error.Code);
        Assert.Contains("CNI_NETNS", error.Msg, StringComparison.Ordinal);
    }

    [Fact]
    public void Del_accepts_an_empty_netns()
    {
        Assert.True(CniEnvironment.TryRead(Env(ValidAdd, ("CNI_COMMAND", "DEL"), ("CNI_NETNS", "")), out var env, out _));
        Assert.Equal("", env.Netns);
    }

    [Fact]
    public void Every_missing_variable_is_named_in_one_error()
    {
        var error = Fails(Env(new Dictionary<string, string> { ["CNI_COMMAND"] = "ADD" }));
        foreach (var name in new[] { "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH" })
        {
            Assert.Contains(name, error.Msg, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Version_needs_nothing_but_the_command()
    {
        Assert.True(CniEnvironment.TryRead(Env(new Dictionary<string, string> { ["CNI_COMMAND"] = "VERSION" }), out var env, out _));
        Assert.Equal(CniCommand.Version, env.Command);
    }

    [Fact]
    public void Status_and_gc_need_no_attachment()
    {
        var env = new Dictionary<string, string> { ["CNI_COMMAND"] = "STATUS", ["CNI_PATH"] = "/opt/cni/bin" };
        Assert.True(CniEnvironment.TryRead(Env(env), out _, out _));
        Assert.True(CniEnvironment.TryRead(Env(env, ("CNI_COMMAND", "GC")), out _, out _));
    }
}
